// `App` and `Agent`: thin wrappers over the native classes. Every operation is the core's: its
// arguments go to the addon as one JSON text (the core reads them with its rules and names),
// results come back as JSON text (built into objects here), and failures come back as
// `NativeError` objects that become the matching `GrantlineError` subclass. The methods App and
// Agent share are written once, in `Client`.
import { inspect } from 'node:util';
import * as convert from './convert';
import { InvalidArgumentError, fromNative, isNativeError } from './errors';
import {
  native,
  type NativeAgent,
  type NativeApp,
  type NativeError,
  type NativeGrantCursor,
} from './native';
import type {
  AgentOptions,
  AgentPrincipal,
  AppOptions,
  Constraints,
  CreateGrantResult,
  CreateManagedSecretGrantOptions,
  DelegateOptions,
  DelegationResult,
  GrantInfo,
  GrantItem,
  GrantPage,
  ListGrantsOptions,
  MintGrantOptions,
  Principal,
  RevokeDelegationOptions,
  RevokeGrantOptions,
  RevokeGrantResult,
  RequestOptions,
  UserTokenGetter,
} from './types';
import type { ProviderResponse } from './convert';

/** How long `close()` waits for pending audit records, in milliseconds. */
const FLUSH_MS = 10_000;

/** A `request` body in the core's byte form. */
function requestBody(body: RequestOptions['body']): unknown {
  if (body === undefined || typeof body === 'string') return body;
  if (body instanceof ArrayBuffer) return { base64: Buffer.from(body).toString('base64') };
  if (ArrayBuffer.isView(body)) {
    return { base64: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64') };
  }
  return body; // the core says what is wrong with it
}

interface OperationSpec {
  name: string;
  method: string;
  userTokenOption: string | null;
}

/** The core's operation table, by camelCase method name. */
const OPERATIONS: Record<string, OperationSpec> = Object.fromEntries(
  (JSON.parse(native.operations()) as OperationSpec[]).map((op) => [op.method, op]),
);

function encode(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (e) {
    // A BigInt or a cycle: nothing the core could read.
    throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
  }
}

function unwrap<T>(value: T | NativeError): T {
  if (isNativeError(value)) throw fromNative(value);
  return value;
}

async function resolveToken(getter: UserTokenGetter): Promise<string> {
  let token: unknown;
  try {
    token = await getter();
  } catch (e) {
    throw new InvalidArgumentError(`userTokenGetter failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof token !== 'string' || token === '') {
    throw new InvalidArgumentError('userTokenGetter must return a non-empty string');
  }
  return token;
}

async function* walk(cursor: NativeGrantCursor): AsyncGenerator<GrantItem, void, undefined> {
  for (;;) {
    const items = convert.grantItems(unwrap(await cursor.nextBatch()));
    if (items.length === 0) return;
    yield* items;
  }
}

// A native client (and getter) handed to a constructor by `getAgent`/`withConstraints`, under a
// key no user can write.
const ADOPT = Symbol('grantline.adopt');

interface Adopted<N> {
  native: N;
  getter: UserTokenGetter | null;
}

function adopted<N>(options: unknown): Adopted<N> | undefined {
  return (options as Record<symbol, Adopted<N> | undefined> | undefined)?.[ADOPT];
}

function adopt<N, O>(native: N, getter: UserTokenGetter | null): O {
  return { [ADOPT]: { native, getter } } as unknown as O;
}

/** What `App` and `Agent` share: the operations both have, settings, closing, display. */
abstract class Client<P extends Principal> {
  readonly #native: NativeApp | NativeAgent;
  readonly #getter: UserTokenGetter | null;

  protected constructor(nativeClient: NativeApp | NativeAgent, getter: UserTokenGetter | null) {
    this.#native = nativeClient;
    this.#getter = getter;
  }

  /** The app's user-token getter (none for an agent). */
  protected get getter(): UserTokenGetter | null {
    return this.#getter;
  }

  /** `args` with the end-user token an app's getter supplies, where `method` takes one. */
  async #withUserToken(method: string, args: object): Promise<object> {
    const option = OPERATIONS[method]?.userTokenOption ?? null;
    if (option === null || this.#getter === null || (args as Record<string, unknown>)[option] != null) {
      return args;
    }
    return { ...args, [option]: await resolveToken(this.#getter) };
  }

  /** Runs the core operation behind `method` with `args` (JavaScript names). */
  protected async operation<T>(method: string, args: object, build: (json: string) => T): Promise<T> {
    const op = OPERATIONS[method];
    if (op === undefined) throw new InvalidArgumentError(`no such operation: ${method}`);
    const withToken = await this.#withUserToken(method, args);
    return build(unwrap(await this.#native.call(op.name, encode(withToken))));
  }

  /** The resolved base URL. */
  get baseUrl(): string {
    return this.#native.baseUrl;
  }

  /** The actor id the server returned, once it has. */
  get actorId(): string | null {
    return this.#native.actorId ?? null;
  }

  /**
   * Issues a grant on a managed secret to `principal` (an agent: only to itself). Never retried
   * once the server may have acted on it. `timeout` (ms) overrides the client's for this call.
   */
  createManagedSecretGrant(
    managedSecretId: string,
    options: CreateManagedSecretGrantOptions<P>,
  ): Promise<CreateGrantResult> {
    return this.operation('createManagedSecretGrant', { managedSecretId, ...options }, convert.createResult);
  }

  /** One page of the grants this client can see. Filters are AND-ed; `limit` is 1–1000. */
  listGrants(options: ListGrantsOptions = {}): Promise<GrantPage> {
    return this.operation('listGrants', options, convert.grantPage);
  }

  /** Every grant matching `options`, page after page: `for await (const g of app.iterGrants())`. */
  iterGrants(options: ListGrantsOptions = {}): AsyncGenerator<GrantItem, void, undefined> {
    const pages = async (): Promise<NativeGrantCursor> =>
      unwrap(this.#native.grants(encode(await this.#withUserToken('listGrants', options))));
    return (async function* () {
      yield* walk(await pages());
    })();
  }

  /**
   * Calls a provider's API with a grant's credential injected, and returns its response
   * (`status`, `headers`, `text()`, `json()`, `arrayBuffer()`). The grant is `grantId`, or the
   * one `provider` resolves to. The credential goes only to https URLs (plain http only to
   * localhost) and to the secret's allowed base URLs; the call is never retried and redirects
   * are returned, not followed. It is recorded in the background (`close()` waits for the
   * record). A status of 400 or more throws `ProviderApiError` (401:
   * `ProviderUnauthorizedError`; 403 `insufficient_scope`: `ScopeReauthRequiredError`).
   */
  request(method: string, url: string, options: RequestOptions = {}): Promise<ProviderResponse> {
    const args = { method, url, ...options, body: requestBody(options.body) };
    return this.operation('request', args, convert.providerResponse);
  }

  /**
   * Closes the client (later calls throw `ClientClosedError`) at once; the promise resolves
   * when the audit records of earlier `request` calls are written (at most 10 s).
   */
  async close(): Promise<void> {
    this.#native.close();
    if (this.#native.pendingBackground() > 0) await this.#native.flush(FLUSH_MS);
  }

  /** @internal The native client of a constrained copy (see `withConstraints`). */
  protected constrainedNative<N>(native: { withConstraints(c: string): N | NativeError }, constraints: Constraints): N {
    return unwrap(native.withConstraints(encode(constraints)));
  }

  protected describe(extra = ''): string {
    return `${this.constructor.name} { baseUrl: ${JSON.stringify(this.baseUrl)}${extra}, apiKey: '<redacted>' }`;
  }

  toString(): string {
    return this.describe();
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

function checkGetter(getter: unknown): UserTokenGetter | null {
  if (getter == null) return null;
  if (typeof getter !== 'function') throw new InvalidArgumentError('userTokenGetter must be a function');
  return getter as UserTokenGetter;
}

/** The operator client: issues, lists and revokes grants for an app. */
export class App extends Client<Principal> {
  readonly #native: NativeApp;

  constructor(options: AppOptions) {
    const given = adopted<NativeApp>(options);
    let made: Adopted<NativeApp>;
    if (given !== undefined) {
      made = given;
    } else {
      const { userTokenGetter, ...settings } = options ?? ({} as AppOptions);
      made = { getter: checkGetter(userTokenGetter), native: unwrap(native.NativeApp.create(encode(settings))) };
    }
    super(made.native, made.getter);
    this.#native = made.native;
  }

  /** Revokes a grant of either kind; with `userToken` (or `userTokenGetter`), as that end user. */
  revokeGrant(grantId: string, options: RevokeGrantOptions = {}): Promise<RevokeGrantResult> {
    return this.operation('revokeGrant', { grantId, ...options }, convert.revokeResult);
  }

  /**
   * Mints a sibling grant on the source grant's credential: the same principal, its own `label`
   * and policy. Delegations are not copied.
   */
  mintGrant(sourceGrantId: string, options: MintGrantOptions): Promise<GrantInfo> {
    return this.operation('mintGrant', { sourceGrantId, ...options }, convert.grantInfo);
  }

  /** Revokes agent `agentId`'s delegation of `grantId` and every one below it. Idempotent. */
  revokeDelegation(grantId: string, agentId: string, options: RevokeDelegationOptions = {}): Promise<void> {
    return this.operation('revokeDelegation', { grantId, agentId, ...options }, convert.nothing);
  }

  /**
   * A client sharing this one's connections whose every call carries `constraints` inside the
   * signature. Attenuation only narrows: call it on the original client, not a constrained one.
   */
  withConstraints(constraints: Constraints): App {
    return new App(adopt(this.constrainedNative(this.#native, constraints), this.getter));
  }

  /** An `Agent` acting as the managed agent `agentId` through this app's key. */
  getAgent(agentId: string): Agent {
    const agent = unwrap(this.#native.getAgent(typeof agentId === 'string' ? agentId : String(agentId)));
    return new Agent(adopt(agent, null));
  }

  toJSON(): { baseUrl: string } {
    return { baseUrl: this.baseUrl };
  }
}

/** The workload client: an agent lists its grants and issues grants for itself. */
export class Agent extends Client<AgentPrincipal> {
  readonly #native: NativeAgent;

  constructor(options: AgentOptions) {
    const created = adopted<NativeAgent>(options)?.native ?? unwrap(native.NativeAgent.create(encode(options ?? {})));
    super(created, null);
    this.#native = created;
  }

  /**
   * Hands a grant this agent holds to another agent of the same app, one level deeper: the child
   * never outlives it (`ttlSeconds` only shortens) nor outranks it (`scopeConstraint` only
   * narrows); `delegable: true` lets it delegate onward.
   */
  delegate(grantId: string, toAgentId: string, options: DelegateOptions = {}): Promise<DelegationResult> {
    return this.operation('delegate', { grantId, toAgentId, ...options }, convert.delegationResult);
  }

  /** Revokes this agent's own delegation of `grantId` (and every one below it). Idempotent. */
  revokeDelegation(grantId: string, options: RevokeDelegationOptions = {}): Promise<void> {
    return this.operation('revokeDelegation', { grantId, ...options }, convert.nothing);
  }

  /** See `App.withConstraints`. */
  withConstraints(constraints: Constraints): Agent {
    return new Agent(adopt(this.constrainedNative(this.#native, constraints), null));
  }

  /** The impersonated agent id, for agents made by `App.getAgent`. */
  get caller(): string | null {
    return this.#native.caller ?? null;
  }

  override toString(): string {
    const caller = this.caller;
    return this.describe(caller ? `, caller: ${JSON.stringify(caller)}` : '');
  }

  toJSON(): { baseUrl: string; caller: string | null } {
    return { baseUrl: this.baseUrl, caller: this.caller };
  }
}

/** Whether `key` has the shape and checksum of an Alter API key (no network call). */
export function isValidKey(key: string): boolean {
  return typeof key === 'string' && native.isValidKey(key);
}
