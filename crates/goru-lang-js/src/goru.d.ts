// TypeScript declarations of goru's guest API: globals sandboxed JavaScript
// finds. Kept in step with goru.js (checked by a test).
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
/** Waits for all (promises, or functions returning one) together: Promise.all with batching. */
declare function runAsync(...items: Array<Promise<unknown> | (() => Promise<unknown>)>): Promise<unknown[]>;
/** Host time, Unix seconds. */
declare function time_now(): number;

declare const kv: {
  get(key: string, dflt?: JSONValue): JSONValue;
  set(key: string, value: JSONValue): void;
  delete(key: string): void;
  keys(): string[];
  asyncGet(key: string, dflt?: JSONValue): Promise<JSONValue>;
  asyncSet(key: string, value: JSONValue): Promise<void>;
  asyncDelete(key: string): Promise<void>;
  asyncKeys(): Promise<string[]>;
};

interface GoruResponse {
  statusCode: number;
  status: number;
  headers: { [name: string]: string };
  text: string;
  url: string;
  truncated: boolean;
  ok: boolean;
  json(): any;
}
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
  writeText(path: string, content: string): void;
  writeJson(path: string, obj: any, indent?: number): void;
  listdir(path: string): GoruDirEntry[];
  exists(path: string): boolean;
  stat(path: string): GoruStat;
  mkdir(path: string): void;
  remove(path: string): void;
  asyncReadText(path: string): Promise<string>;
  asyncReadJson(path: string): Promise<any>;
  asyncWriteText(path: string, content: string): Promise<void>;
  asyncWriteJson(path: string, obj: any, indent?: number): Promise<void>;
  asyncListdir(path: string): Promise<GoruDirEntry[]>;
  asyncExists(path: string): Promise<boolean>;
  asyncStat(path: string): Promise<GoruStat>;
  asyncMkdir(path: string): Promise<void>;
  asyncRemove(path: string): Promise<void>;
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
