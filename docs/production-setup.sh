#!/bin/sh
# docs/production.md, steps 2 and 4, as one script: from an empty Google Cloud project to the
# standby service (created closed), the orchestrator's service account and roles, and the alert
# path (Pub/Sub and the notification channel). The guide quotes these commands in this order.
# Run it once, by hand, after reading it; nothing runs it against a real project
# (test/production-setup.test.ts only reads it: every resource is created before a command uses it).
#
#   PROJECT=my-project REGION=europe-west1 SERVICE=blog-standby LOCAL_IMAGE=blog:latest \
#     sh docs/production-setup.sh
#
# WARM_STANDBY=yes also creates and grants the warm-up's role, for a site with standby.warmup.
set -eu
: "${PROJECT:?the project of the Cloud Run standby}"
: "${REGION:?the standby region, e.g. europe-west1}"
: "${SERVICE:?the standby Cloud Run service, e.g. blog-standby}"
: "${LOCAL_IMAGE:?the site image built locally, as for the primary}"
SA=${SA:-failover-orchestrator}
WARM_STANDBY=${WARM_STANDBY:-no}
IMAGE=${IMAGE:-$REGION-docker.pkg.dev/$PROJECT/site/blog:initial}
PROJECT_NUMBER=$(gcloud projects describe "$PROJECT" --format='value(projectNumber)')

# --- 2. The APIs, the standby, the service account and its least-privilege roles

gcloud config set project "$PROJECT"
gcloud services enable run.googleapis.com artifactregistry.googleapis.com monitoring.googleapis.com pubsub.googleapis.com iam.googleapis.com

# The standby: a Docker repository for the site image, the image, and the service, created closed
# (on a new service --no-allow-unauthenticated only declines to add allUsers; never pass it later).
gcloud artifacts repositories create site --repository-format=docker --location="$REGION"
gcloud auth configure-docker "$REGION-docker.pkg.dev" --quiet
docker tag "$LOCAL_IMAGE" "$IMAGE"
docker push "$IMAGE"
gcloud run deploy "$SERVICE" --image="$IMAGE" --region="$REGION" --no-allow-unauthenticated --min-instances=0

gcloud iam service-accounts create "$SA" --display-name="failover orchestrator"
SA_EMAIL=$SA@$PROJECT.iam.gserviceaccount.com

# Standby access (Cloud Run invoker for allUsers): exactly the three permissions it uses, on the
# standby service only, through a custom role.
gcloud iam roles create failoverStandbyAccess --project="$PROJECT" \
  --title="failover: open/close the standby" \
  --permissions=run.services.get,run.services.getIamPolicy,run.services.setIamPolicy
gcloud run services add-iam-policy-binding "$SERVICE" --region="$REGION" \
  --member="serviceAccount:$SA_EMAIL" --role="projects/$PROJECT/roles/failoverStandbyAccess"

# Pausing and resuming the alert policy (monitor: cloud-monitoring). Project level: Cloud
# Monitoring has no per-policy IAM. Least privilege as a custom role:
gcloud iam roles create failoverAlertToggle --project="$PROJECT" \
  --title="failover: pause/resume alert policies" \
  --permissions=monitoring.alertPolicies.get,monitoring.alertPolicies.update
gcloud projects add-iam-policy-binding "$PROJECT" \
  --member="serviceAccount:$SA_EMAIL" --role="projects/$PROJECT/roles/failoverAlertToggle"

# Only for a site with standby.warmup: raising the standby's minimum instances and polling the
# update's operation. Project level: Cloud Run operations have no IAM policy of their own.
if [ "$WARM_STANDBY" = yes ]; then
  gcloud iam roles create failoverStandbyWarmup --project="$PROJECT" \
    --title="failover: keep the standby warm while failed over" \
    --permissions=run.services.get,run.services.update,run.operations.get
  gcloud projects add-iam-policy-binding "$PROJECT" \
    --member="serviceAccount:$SA_EMAIL" --role="projects/$PROJECT/roles/failoverStandbyWarmup"
fi

# --- 4. Alerts: Cloud Monitoring -> Pub/Sub -> the bridge

gcloud pubsub topics create failover-alerts
gcloud pubsub topics create failover-alerts-rejected # dead letters (bad or undeliverable)
gcloud pubsub subscriptions create failover-alerts --topic=failover-alerts \
  --ack-deadline=60 --message-retention-duration=7d \
  --dead-letter-topic=failover-alerts-rejected --max-delivery-attempts=10 \
  --min-retry-delay=5s --max-retry-delay=60s
gcloud pubsub subscriptions create failover-alerts-rejected-keep --topic=failover-alerts-rejected \
  --message-retention-duration=7d # so dead letters can be read

# The bridge pulls from the subscription and publishes what it rejects to the dead-letter topic.
gcloud pubsub subscriptions add-iam-policy-binding failover-alerts \
  --member="serviceAccount:$SA_EMAIL" --role=roles/pubsub.subscriber
gcloud pubsub topics add-iam-policy-binding failover-alerts-rejected \
  --member="serviceAccount:$SA_EMAIL" --role=roles/pubsub.publisher

# Pub/Sub itself forwards undeliverable messages: its service agent needs both sides.
PUBSUB_AGENT=serviceAccount:service-$PROJECT_NUMBER@gcp-sa-pubsub.iam.gserviceaccount.com
gcloud pubsub topics add-iam-policy-binding failover-alerts-rejected --member="$PUBSUB_AGENT" --role=roles/pubsub.publisher
gcloud pubsub subscriptions add-iam-policy-binding failover-alerts --member="$PUBSUB_AGENT" --role=roles/pubsub.subscriber

# The notification channel, and the grant that lets Cloud Monitoring publish to the topic.
gcloud beta monitoring channels create --display-name="failover" --type=pubsub \
  --channel-labels="topic=projects/$PROJECT/topics/failover-alerts"
MONITORING_AGENT=serviceAccount:service-$PROJECT_NUMBER@gcp-sa-monitoring-notification.iam.gserviceaccount.com
gcloud pubsub topics add-iam-policy-binding failover-alerts --member="$MONITORING_AGENT" --role=roles/pubsub.publisher
