export interface Check {
  /** The part checked: config, database, provider:kie, storage, smtp, alerts:slack, … */
  name: string;
  status: 'ok' | 'fail' | 'skip';
  /** What was found, in one line; never a secret. */
  detail: string;
}
