// docs/production-setup.sh, the guide's set-up commands as one script, read (never run: it would
// act on a real project): every resource is created before a command uses it, from an empty
// project, and docs/production.md quotes exactly these commands in this order (issue 17, breaks
// 2 and 5).
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';

const SCRIPT = readFileSync('docs/production-setup.sh', 'utf8');
const GUIDE = readFileSync('docs/production.md', 'utf8');

/** The gcloud and docker commands of a shell text: continuations joined, comments dropped. */
function commands(shell: string): string[] {
  return shell
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) =>
      line
        .replace(/(^|\s)#.*$/, '')
        .replace(/\s+/g, ' ')
        .trim(),
    )
    .filter((line) => /^(gcloud|docker) /.test(line));
}

/** The guide's shell blocks, as one text. */
function guideShell(markdown: string): string {
  return [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]).join('\n');
}

const unquote = (s: string) => s.replace(/"/g, '');

/** What each command needs to exist already, and what it creates. */
function needsAndMakes(cmd: string): { needs: string[]; makes: string[] } {
  const c = unquote(cmd);
  const needs: string[] = [];
  const makes: string[] = [];
  const api: [RegExp, string][] = [
    [/^gcloud run /, 'run.googleapis.com'],
    [/^gcloud artifacts /, 'artifactregistry.googleapis.com'],
    [/^docker push .*docker\.pkg\.dev|^docker push \$IMAGE/, 'artifactregistry.googleapis.com'],
    [/^gcloud pubsub /, 'pubsub.googleapis.com'],
    [/^gcloud iam /, 'iam.googleapis.com'],
    [/^gcloud (beta )?monitoring /, 'monitoring.googleapis.com'],
  ];
  for (const [re, name] of api) if (re.test(c)) needs.push(`API ${name}`);
  const enabled = /^gcloud services enable (.*)$/.exec(c);
  if (enabled) makes.push(...enabled[1]!.split(' ').map((a) => `API ${a}`));

  if (/^gcloud artifacts repositories create (\S+)/.test(c))
    makes.push(`repository ${/repositories create (\S+)/.exec(c)![1]}`);
  if (/^gcloud auth configure-docker/.test(c)) makes.push('docker login to Artifact Registry');
  if (/^docker push \$IMAGE/.test(c)) {
    needs.push(`repository ${IMAGE_REPOSITORY}`, 'docker login to Artifact Registry', 'image $IMAGE (tagged)');
    makes.push('image $IMAGE');
  }
  if (/^docker tag \S+ \$IMAGE/.test(c)) makes.push('image $IMAGE (tagged)');
  if (/--image=\$IMAGE/.test(c)) needs.push('image $IMAGE');
  if (/^gcloud run deploy \$SERVICE/.test(c)) makes.push('service $SERVICE');
  const bound = /^gcloud run services add-iam-policy-binding (\S+)/.exec(c);
  if (bound) needs.push(`service ${bound[1]}`);

  if (/^gcloud iam service-accounts create \$SA\b/.test(c)) makes.push('service account $SA');
  if (c.includes('$SA_EMAIL')) needs.push('service account $SA');
  const role = /^gcloud iam roles create (\S+)/.exec(c);
  if (role) makes.push(`role ${role[1]}`);
  for (const m of c.matchAll(/projects\/\$PROJECT\/roles\/(\w+)/g)) needs.push(`role ${m[1]}`);

  const topic = /^gcloud pubsub topics create (\S+)/.exec(c);
  if (topic) makes.push(`topic ${topic[1]}`);
  for (const m of c.matchAll(/(?:--topic=|--dead-letter-topic=|topics add-iam-policy-binding |topics\/)([\w-]+)/g))
    needs.push(`topic ${m[1]}`);
  const sub = /^gcloud pubsub subscriptions create (\S+)/.exec(c);
  if (sub) makes.push(`subscription ${sub[1]}`);
  const subBound = /^gcloud pubsub subscriptions add-iam-policy-binding (\S+)/.exec(c);
  if (subBound) needs.push(`subscription ${subBound[1]}`);

  // Cloud Monitoring's notification service agent exists once the project has a channel.
  if (/^gcloud beta monitoring channels create/.test(c)) makes.push('the monitoring notification agent');
  if (c.includes('$MONITORING_AGENT')) needs.push('the monitoring notification agent');
  return { needs, makes };
}

/** The repository the script's IMAGE lives in: <region>-docker.pkg.dev/<project>/<repository>/… */
const IMAGE_REPOSITORY = /^IMAGE=\$\{IMAGE:-[^/]+\/[^/]+\/([^/]+)\//m.exec(SCRIPT)?.[1] ?? '(IMAGE not found)';

/** Every use of something not created yet (or not already there in an empty project). */
function useBeforeCreate(cmds: string[]): string[] {
  const made = new Set<string>();
  const problems: string[] = [];
  for (const cmd of cmds) {
    const { needs, makes } = needsAndMakes(cmd);
    for (const n of needs) if (!made.has(n)) problems.push(`${n} used before it is created: ${cmd}`);
    for (const m of makes) made.add(m);
  }
  return problems;
}

describe('docs/production-setup.sh', () => {
  const script = commands(SCRIPT);

  test('every resource is created before a command uses it, from an empty project', () => {
    expect(script.length).toBeGreaterThan(20);
    expect(useBeforeCreate(script)).toEqual([]);
  });

  test('the check finds the old guide order: IAM on a service not deployed, no Artifact Registry', () => {
    const old = script
      .filter((c) => !/^gcloud (artifacts|run deploy)/.test(c))
      .map((c) => c.replace(' artifactregistry.googleapis.com', ''));
    old.push('gcloud run deploy "$SERVICE" --image="$IMAGE" --region="$REGION" --min-instances=0');
    const problems = useBeforeCreate(old);
    expect(problems).toContainEqual(expect.stringMatching(/^service \$SERVICE used before it is created/));
    expect(problems).toContainEqual(
      expect.stringMatching(/^API artifactregistry\.googleapis\.com used before it is created: docker push/),
    );
    expect(problems).toContainEqual(expect.stringMatching(/^repository site used before it is created/));
  });

  test('docs/production.md quotes these commands, in this order', () => {
    const guide = commands(guideShell(GUIDE));
    let from = 0;
    for (const cmd of script) {
      const at = guide.indexOf(cmd, from);
      expect({ cmd, inGuideInOrder: at >= 0 }).toEqual({ cmd, inGuideInOrder: true });
      from = at + 1;
    }
    expect(GUIDE).toContain('](production-setup.sh)'); // the guide links the script
  });

  test('only the deploy that creates the standby says --no-allow-unauthenticated; no deploy opens it', () => {
    const deploys = [...script, ...commands(guideShell(GUIDE))].filter((c) => /^gcloud run deploy /.test(c));
    const create = deploys[0]!; // the script's, which creates the service
    expect(create).toContain('--no-allow-unauthenticated');
    // On an existing service gcloud removes allUsers after a deploy with --no-allow-unauthenticated:
    // a deploy during an incident would close the open standby. Without the flag IAM is left alone.
    for (const deploy of deploys.filter((d) => d !== create))
      expect(deploy).not.toMatch(/--no-allow-unauthenticated|--allow-unauthenticated|--no-invoker-iam-check/);
    for (const deploy of deploys) expect(deploy).not.toMatch(/--allow-unauthenticated|--no-invoker-iam-check/);
  });
});
