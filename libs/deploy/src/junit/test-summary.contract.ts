// A test stage's results as a release carries them (parsed from JUnit XML by junit-report.ts).
// Browser-safe (types only).

export interface TestSummary {
  tests: number;
  passed: number;
  failures: number;
  errors: number;
  skipped: number;
  timeSeconds: number;
  failedCases: FailedCase[];
}

export interface FailedCase {
  name: string;
  classname?: string;
  suite?: string;
  kind: 'failure' | 'error';
  message?: string;
  type?: string;
  /** The body of the failure element (stack trace), shortened. */
  detail?: string;
}
