// TypeScript declarations of goru's guest API: globals sandboxed JavaScript
// finds, with the node-like globals goru adds to QuickJS (use them with
// `"lib": ["es2023"]`, without the DOM or node types). Kept in step with
// goru.js and globals.js (checked by a test). ES modules may import the API
// from "goru" (`import { call, kv } from "goru"`), and QuickJS's modules as
// "std" and "os".
type JSONValue = null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };

/** A host call failed; `kind` is a short stable code such as "not_granted". */
declare class HostError extends Error {
  readonly kind: string;
  constructor(message: string, kind?: string);
}

/** Calls the embedder's host function `name`. */
declare function call(name: string, args?: { [key: string]: JSONValue }): JSONValue;
/** The seed name of call(). */
declare function _goru_call(name: string, args?: { [key: string]: JSONValue }): JSONValue;
/** Promise-returning call(); calls made together reach the host as one batch. */
declare function asyncCall(name: string, args?: { [key: string]: JSONValue }): Promise<JSONValue>;
/** Sends the asyncCall()s queued so far to the host now, as one batch. */
declare function flushAsync(): void;
/** Waits for all (promises, or functions returning one) together: Promise.all with batching. */
declare function runAsync(...items: Array<Promise<unknown> | (() => Promise<unknown>)>): Promise<unknown[]>;
/** Host time, Unix seconds. */
declare function time_now(): number;

declare const kv: {
  get(key: string, dflt?: JSONValue): JSONValue;
  set(key: string, value: JSONValue): "ok";
  delete(key: string): "ok";
  keys(): string[];
  asyncGet(key: string, dflt?: JSONValue): Promise<JSONValue>;
  asyncSet(key: string, value: JSONValue): Promise<"ok">;
  asyncDelete(key: string): Promise<"ok">;
  asyncKeys(): Promise<string[]>;
};

/** Response headers: lower-case names, read in any case; `get` is fetch's. */
type GoruHeaders = { [name: string]: string } & { get(name: string): string | null };
/** An HTTP response (statuses such as 404 are responses, not errors). */
declare class HTTPResponse {
  readonly statusCode: number;
  readonly status: number;
  readonly headers: GoruHeaders;
  readonly text: string;
  readonly url: string;
  readonly truncated: boolean;
  readonly ok: boolean;
  json(): any;
}
type GoruResponse = HTTPResponse;
interface GoruRequestOptions {
  headers?: { [name: string]: string };
  body?: string;
  json?: JSONValue;
}
declare const http: {
  request(method: string, url: string, opts?: GoruRequestOptions): GoruResponse;
  get(url: string, opts?: GoruRequestOptions): GoruResponse;
  post(url: string, opts?: GoruRequestOptions): GoruResponse;
  put(url: string, opts?: GoruRequestOptions): GoruResponse;
  patch(url: string, opts?: GoruRequestOptions): GoruResponse;
  delete(url: string, opts?: GoruRequestOptions): GoruResponse;
  asyncRequest(method: string, url: string, opts?: GoruRequestOptions): Promise<GoruResponse>;
  asyncGet(url: string, opts?: GoruRequestOptions): Promise<GoruResponse>;
  asyncPost(url: string, opts?: GoruRequestOptions): Promise<GoruResponse>;
  asyncPut(url: string, opts?: GoruRequestOptions): Promise<GoruResponse>;
  asyncPatch(url: string, opts?: GoruRequestOptions): Promise<GoruResponse>;
  asyncDelete(url: string, opts?: GoruRequestOptions): Promise<GoruResponse>;
};

interface GoruDirEntry { name: string; is_dir: boolean; size: number }
interface GoruStat { name: string; size: number; is_dir: boolean; mod_time: number }
declare const fs: {
  readText(path: string): string;
  readJson(path: string): any;
  writeText(path: string, content: string): "ok";
  writeJson(path: string, obj: any, indent?: number): "ok";
  listdir(path: string): GoruDirEntry[];
  exists(path: string): boolean;
  stat(path: string): GoruStat;
  mkdir(path: string): "ok";
  remove(path: string): "ok";
  asyncReadText(path: string): Promise<string>;
  asyncReadJson(path: string): Promise<any>;
  asyncWriteText(path: string, content: string): Promise<"ok">;
  asyncWriteJson(path: string, obj: any, indent?: number): Promise<"ok">;
  asyncListdir(path: string): Promise<GoruDirEntry[]>;
  asyncExists(path: string): Promise<boolean>;
  asyncStat(path: string): Promise<GoruStat>;
  asyncMkdir(path: string): Promise<"ok">;
  asyncRemove(path: string): Promise<"ok">;
};

// The seed names of goru's first API.
declare function kv_get(key: string): JSONValue;
declare function kv_set(key: string, value: JSONValue): string;
declare function kv_delete(key: string): string;
declare function http_get(url: string): { status: number; body: string };
declare function fs_read(path: string): string;
declare function fs_write(path: string, content: string): string;
declare function fs_list(path: string): GoruDirEntry[];
declare function fs_exists(path: string): boolean;
declare function fs_stat(path: string): GoruStat;
declare function fs_mkdir(path: string): string;
declare function fs_remove(path: string): string;

// The node-like globals (globals.js). console writes log/info/debug/dir/
// table/count/time* to stdout, error/warn/trace/assert to stderr, values
// formatted as node's util.inspect does.
interface GoruConsole {
  log(...data: any[]): void;
  info(...data: any[]): void;
  debug(...data: any[]): void;
  error(...data: any[]): void;
  warn(...data: any[]): void;
  trace(...data: any[]): void;
  dir(value: any, options?: { depth?: number | null }): void;
  table(data: any, columns?: string[]): void;
  assert(condition: any, ...data: any[]): void;
  count(label?: string): void;
  countReset(label?: string): void;
  time(label?: string): void;
  timeLog(label?: string, ...data: any[]): void;
  timeEnd(label?: string): void;
  group(...label: any[]): void;
  groupCollapsed(...label: any[]): void;
  groupEnd(): void;
}
declare const console: GoruConsole;
/** A timer, as node's: clear it with clearTimeout/clearInterval; its number is its id. */
interface GoruTimeout {
  ref(): GoruTimeout;
  unref(): GoruTimeout;
  hasRef(): boolean;
  refresh(): GoruTimeout;
  [Symbol.toPrimitive](): number;
}
declare function setTimeout(callback: (...args: any[]) => void, ms?: number, ...args: any[]): GoruTimeout;
declare function setInterval(callback: (...args: any[]) => void, ms?: number, ...args: any[]): GoruTimeout;
declare function setImmediate(callback: (...args: any[]) => void, ...args: any[]): GoruTimeout;
declare function clearTimeout(timer: GoruTimeout | number | undefined | null): void;
declare function clearInterval(timer: GoruTimeout | number | undefined | null): void;
declare function clearImmediate(timer: GoruTimeout | number | undefined | null): void;
declare function queueMicrotask(callback: () => void): void;
/** Deep copy of JSON-like data, Date, RegExp, Map, Set, ArrayBuffer, typed arrays, errors; cycles kept. */
declare function structuredClone<T>(value: T): T;
/** UTF-8 only. */
declare class TextEncoder {
  readonly encoding: "utf-8";
  encode(input?: string): Uint8Array;
  encodeInto(input: string, dest: Uint8Array): { read: number; written: number };
}
/** UTF-8 only; `fatal` throws on invalid bytes, else they decode as U+FFFD. */
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  readonly encoding: "utf-8";
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;
  decode(input?: ArrayBuffer | ArrayBufferView, options?: { stream?: boolean }): string;
}
declare function atob(data: string): string;
declare function btoa(data: string): string;
