// `App` and `Agent`: thin wrappers over the native classes. Arguments go to the addon as one
// JSON text per call (the core checks them), results come back as JSON text (built into objects
// here), and native errors become the matching `GrantlineError` subclass.
import { inspect } from 'node:util';
import * as convert from './convert';
import { fromNative } from './errors';
import { native, type NativeAgent, type NativeApp, type NativeGrantCursor } from './native';
import type {
  AgentOptions,
  AppOptions,
  CreateGrantResult,
  CreateManagedSecretGrantOptions,
  GrantItem,
  GrantPage,
  ListGrantsOptions,
  RevokeGrantOptions,
  RevokeGrantResult,
} from './types';

function encode(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

function sync<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw fromNative(e);
  }
}

async function call<T>(f: () => Promise<string>, build: (json: string) => T): Promise<T> {
  let json: string;
  try {
    json = await f();
  } catch (e) {
    throw fromNative(e);
  }
  return build(json);
}

async function* walk(cursor: NativeGrantCursor): AsyncGenerator<GrantItem, void, undefined> {
  for (;;) {
    let batch: string;
    try {
      batch = await cursor.nextBatch();
    } catch (e) {
      throw fromNative(e);
    }
    const items = convert.grantItems(batch);
    if (items.length === 0) return;
    yield* items;
  }
}

function describe(name: string, baseUrl: string, extra = ''): string {
  return `${name} { baseUrl: ${JSON.stringify(baseUrl)}${extra}, apiKey: '<redacted>' }`;
}

/** The operator client: issues, lists and revokes grants for an app. */
export class App {
  readonly #native: NativeApp;

  constructor(options: AppOptions) {
    this.#native = sync(() => new native.NativeApp(encode(options)));
  }

  /** The resolved base URL. */
  get baseUrl(): string {
    return this.#native.baseUrl;
  }

  /** The actor id the server returned, once it has. */
  get actorId(): string | null {
    return this.#native.actorId ?? null;
  }

  /** Issues a grant on a managed secret to `principal`. Never retried once the server may have acted. */
  createManagedSecretGrant(
    managedSecretId: string,
    options: CreateManagedSecretGrantOptions,
  ): Promise<CreateGrantResult> {
    return call(
      () => this.#native.createManagedSecretGrant(encode({ managedSecretId, options })),
      convert.createResult,
    );
  }

  /** One page of grants. */
  listGrants(options: ListGrantsOptions = {}): Promise<GrantPage> {
    return call(() => this.#native.listGrants(encode(options)), convert.grantPage);
  }

  /** Every grant matching `options`, page after page: `for await (const g of app.iterGrants())`. */
  iterGrants(options: ListGrantsOptions = {}): AsyncGenerator<GrantItem, void, undefined> {
    const native = this.#native;
    return (async function* () {
      yield* walk(sync(() => native.iterGrants(encode(options))));
    })();
  }

  /** Revokes a grant of either kind. */
  revokeGrant(grantId: string, options: RevokeGrantOptions = {}): Promise<RevokeGrantResult> {
    return call(() => this.#native.revokeGrant(encode({ grantId, options })), convert.revokeResult);
  }

  /** An `Agent` acting as the managed agent `agentId` through this app's key. */
  getAgent(agentId: string): Agent {
    const agent = sync(() => this.#native.getAgent(encode({ agentId })));
    adopting = agent;
    try {
      return new Agent(undefined as unknown as AgentOptions);
    } finally {
      adopting = undefined;
    }
  }

  /** Closes the client; later calls throw `ClientClosedError`. */
  close(): void {
    this.#native.close();
  }

  toString(): string {
    return describe('App', this.baseUrl);
  }

  toJSON(): { baseUrl: string } {
    return { baseUrl: this.baseUrl };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

// The native agent `App.getAgent` hands to the `Agent` constructor it calls.
let adopting: NativeAgent | undefined;

/** The workload client: an agent lists its grants and issues grants for itself. */
export class Agent {
  readonly #native: NativeAgent;

  constructor(options: AgentOptions) {
    this.#native = adopting ?? sync(() => new native.NativeAgent(encode(options)));
  }

  /** The resolved base URL. */
  get baseUrl(): string {
    return this.#native.baseUrl;
  }

  /** The impersonated agent id, for agents made by `App.getAgent`. */
  get caller(): string | null {
    return this.#native.caller ?? null;
  }

  /** The actor id the server returned, once it has. */
  get actorId(): string | null {
    return this.#native.actorId ?? null;
  }

  /** Issues a grant for the agent itself (`{ principal: { type: 'agent' } }`). */
  createManagedSecretGrant(
    managedSecretId: string,
    options: CreateManagedSecretGrantOptions,
  ): Promise<CreateGrantResult> {
    return call(
      () => this.#native.createManagedSecretGrant(encode({ managedSecretId, options })),
      convert.createResult,
    );
  }

  /** One page of the grants this agent can see. */
  listGrants(options: ListGrantsOptions = {}): Promise<GrantPage> {
    return call(() => this.#native.listGrants(encode(options)), convert.grantPage);
  }

  /** Every grant this agent can see, page after page. */
  iterGrants(options: ListGrantsOptions = {}): AsyncGenerator<GrantItem, void, undefined> {
    const native = this.#native;
    return (async function* () {
      yield* walk(sync(() => native.iterGrants(encode(options))));
    })();
  }

  /** Closes the client. */
  close(): void {
    this.#native.close();
  }

  toString(): string {
    const caller = this.caller;
    return describe('Agent', this.baseUrl, caller ? `, caller: ${JSON.stringify(caller)}` : '');
  }

  toJSON(): { baseUrl: string; caller: string | null } {
    return { baseUrl: this.baseUrl, caller: this.caller };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** Whether `key` has the shape and checksum of an Alter API key (no network call). */
export function isValidKey(key: string): boolean {
  return typeof key === 'string' && native.isValidKey(key);
}
