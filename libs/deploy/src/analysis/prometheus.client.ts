/** One number from a PromQL query, or why there is none. */
export type QueryValue = { kind: 'value'; value: number } | { kind: 'no-data'; detail: string };

export class PrometheusError extends Error {
  /**
   * `rejected`: Prometheus answered, and refused the query itself (bad PromQL, several series):
   * asking again will not help. `unreachable`: no usable answer; it may come back.
   */
  constructor(
    message: string,
    readonly kind: 'unreachable' | 'rejected' = 'unreachable',
  ) {
    super(message);
    this.name = 'PrometheusError';
  }

  get rejected(): boolean {
    return this.kind === 'rejected';
  }
}

interface PrometheusResponse {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: { resultType: 'vector' | 'scalar' | 'matrix' | 'string'; result: unknown };
}

/** Prometheus's HTTP API (`/api/v1/query`), reduced to "evaluate this to one number now". */
export class PrometheusClient {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  get url(): string {
    return this.base;
  }

  /**
   * An instant query that must reduce to a single value: an empty vector or NaN (0/0, no traffic)
   * is "no data", not zero — a canary nobody called has not proven anything.
   */
  async queryValue(query: string, signal?: AbortSignal): Promise<QueryValue> {
    const url = `${this.base}/api/v1/query?${new URLSearchParams({ query }).toString()}`;
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept: 'application/json' },
        signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)]) : AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      throw new PrometheusError(`Prometheus at ${this.base} did not answer: ${cause ?? (error instanceof Error ? error.message : String(error))}`);
    }
    const text = await response.text();
    let body: PrometheusResponse;
    try {
      body = JSON.parse(text) as PrometheusResponse;
    } catch {
      throw new PrometheusError(`Prometheus at ${this.base} answered ${response.status} without JSON`);
    }
    if (body.status !== 'success' || !body.data)
      throw new PrometheusError(
        `Prometheus rejected the query (${body.errorType ?? response.status}): ${body.error ?? 'unknown error'}`,
        body.errorType === 'bad_data' ? 'rejected' : 'unreachable',
      );
    const { resultType, result } = body.data;
    let raw: string | undefined;
    if (resultType === 'scalar') raw = (result as [number, string])[1];
    else if (resultType === 'vector') {
      const samples = result as Array<{ metric: Record<string, string>; value: [number, string] }>;
      if (samples.length === 0) return { kind: 'no-data', detail: 'the query returned no series' };
      if (samples.length > 1) throw new PrometheusError(`the query returned ${samples.length} series; aggregate it to one (e.g. with sum())`, 'rejected');
      raw = samples[0].value[1];
    } else throw new PrometheusError(`the query returned a ${resultType}; an instant vector or scalar is needed`, 'rejected');
    const value = Number(raw);
    if (!Number.isFinite(value)) return { kind: 'no-data', detail: `the query evaluated to ${raw}` };
    return { kind: 'value', value };
  }
}
