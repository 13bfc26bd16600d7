export interface SimRequest {
  method: string;
  /** Path without query, e.g. `/v1.0/users/x/messages`. */
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  /** Parsed JSON body (or the raw string for other content types). */
  body: unknown;
  /** e.g. `https://127.0.0.1:4443` — used to build absolute nextLink/deltaLink URLs. */
  baseUrl: string;
  /** True for requests from inside a JSON batch. */
  inner?: boolean;
  /** Size of the request body in bytes (the upload limit counts it). */
  bodyBytes?: number;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  /** JSON-serialised unless `text` is set. */
  body?: unknown;
  text?: string;
  /** Destroy the socket without answering (fault injection). */
  drop?: boolean;
  /** Send a truncated JSON body (fault injection). */
  malformed?: boolean;
}
