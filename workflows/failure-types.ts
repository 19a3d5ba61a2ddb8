// ApplicationFailure types shared by activities (which throw them) and workflows
// (which refuse to retry them). A plain constants module, safe in the workflow bundle.
export const FailureType = {
  PermissionDenied: 'PermissionDenied',
  NotFound: 'NotFound',
  InvalidConfig: 'InvalidConfig',
  ProbeFailed: 'ProbeFailed',
  Unsupported: 'Unsupported',
  RateLimited: 'RateLimited',
  Conflict: 'Conflict',
  Unavailable: 'Unavailable',
} as const;

export type FailureType = (typeof FailureType)[keyof typeof FailureType];

export const NON_RETRYABLE: FailureType[] = [
  FailureType.PermissionDenied,
  FailureType.NotFound,
  FailureType.InvalidConfig,
  FailureType.ProbeFailed,
  FailureType.Unsupported,
];
