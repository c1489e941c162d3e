// `request`'s result. Not in the packed form (src/pack.rs): one object per call, whose body is
// bytes the string table cannot hold, so the addon passes it as JSON text with the body in
// base64 (src/client.rs) and this file builds the object.

/** A provider's answer to `request`, read like a fetch `Response`. */
export class ProviderResponse {
  /** The HTTP status. */
  readonly status: number;
  /** The headers, names in lower case (a repeated header's values joined by ", "). */
  readonly headers: Record<string, string>;
  /** The grant the call used. */
  readonly grantId: string;
  readonly #body: Buffer;

  constructor(status: number, headers: Record<string, string>, body: Buffer, grantId: string) {
    this.status = status;
    this.headers = headers;
    this.grantId = grantId;
    this.#body = body;
  }

  /** Whether the status is 2xx. */
  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  /** The body as UTF-8 text. */
  async text(): Promise<string> {
    return this.#body.toString('utf8');
  }

  /** The body parsed as JSON. */
  async json(): Promise<unknown> {
    return JSON.parse(this.#body.toString('utf8'));
  }

  /** The body's bytes (a copy). */
  async arrayBuffer(): Promise<ArrayBuffer> {
    const copy = new Uint8Array(this.#body.byteLength);
    copy.set(this.#body);
    return copy.buffer;
  }

  /** The body's bytes as a Buffer (a copy). */
  async buffer(): Promise<Buffer> {
    return Buffer.from(this.#body);
  }

  toString(): string {
    return `ProviderResponse(${this.status})`;
  }
}

interface WireResponse {
  status: number;
  headers: [string, string][];
  body_base64: string;
  grant_id: string;
}

/** Builds the `ProviderResponse` from the addon's JSON text (its numbers are empty). */
export function decodeProviderResponse(text: string, _numbers: Float64Array): ProviderResponse {
  const w = JSON.parse(text) as WireResponse;
  const headers: Record<string, string> = {};
  for (const [k, v] of w.headers) {
    headers[k] = k in headers ? `${headers[k]}, ${v}` : v;
  }
  return new ProviderResponse(w.status, headers, Buffer.from(w.body_base64, 'base64'), w.grant_id);
}
