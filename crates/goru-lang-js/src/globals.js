// The node-like globals of goru's JavaScript guest: console with
// util.inspect-style formatting, timers, structuredClone, TextEncoder and
// TextDecoder, atob and btoa. The shim evaluates this the first time one of
// them is read; it is a function of the global object and of the shim's
// helpers (`uncaught(err)` reports an error and ends the run; `errorHeader`
// and `stackFrames` read an error), and returns `inspect` for the shim's REPL.
// Keep the names in step with shim.js, goru.d.ts and docs/sandbox-api.md.
(function (g, shim) {
  "use strict";

  // ---- inspect: node's util.inspect for the common cases ----------------

  const BREAK_LENGTH = 80;
  const MAX_ARRAY_LENGTH = 100;
  const MAX_STRING_LENGTH = 10000;
  const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

  function strEscape(str) {
    let quote = "'";
    if (str.includes("'")) {
      if (!str.includes('"')) quote = '"';
      else if (!str.includes("`") && !str.includes("${")) quote = "`";
    }
    let out = "";
    for (let i = 0; i < str.length; i++) {
      const c = str[i];
      const code = str.charCodeAt(i);
      if (c === quote || c === "\\") out += "\\" + c;
      else if (c === "\n") out += "\\n";
      else if (c === "\t") out += "\\t";
      else if (c === "\r") out += "\\r";
      else if (c === "\b") out += "\\b";
      else if (c === "\f") out += "\\f";
      else if (c === "\v") out += "\\v";
      else if (code < 0x20 || code === 0x7f) out += "\\x" + code.toString(16).toUpperCase().padStart(2, "0");
      else out += c;
    }
    return quote + out + quote;
  }

  function formatString(str) {
    if (str.length > MAX_STRING_LENGTH) {
      const rest = str.length - MAX_STRING_LENGTH;
      return strEscape(str.slice(0, MAX_STRING_LENGTH)) + "... " + rest + " more character" + (rest > 1 ? "s" : "");
    }
    return strEscape(str);
  }

  function formatNumber(n) {
    return Object.is(n, -0) ? "-0" : String(n);
  }

  function formatPrimitive(value) {
    switch (typeof value) {
      case "string": return formatString(value);
      case "number": return formatNumber(value);
      case "bigint": return String(value) + "n";
      case "symbol": return value.toString();
      default: return String(value);
    }
  }

  function formatKey(key) {
    if (typeof key === "symbol") return "[" + key.toString() + "]";
    return IDENTIFIER.test(key) ? key : strEscape(key);
  }

  function constructorName(obj) {
    let proto = obj;
    while (proto !== null) {
      const desc = Object.getOwnPropertyDescriptor(proto, "constructor");
      if (desc && typeof desc.value === "function" && desc.value.name !== "") return desc.value.name;
      proto = Object.getPrototypeOf(proto);
    }
    return null;
  }

  function functionBase(fn) {
    let source = "";
    try { source = Function.prototype.toString.call(fn); } catch (_) {}
    if (source.startsWith("class") && /^class\b/.test(source)) {
      let base = "[class " + (fn.name || "(anonymous)");
      const parent = Object.getPrototypeOf(fn);
      if (parent && parent.name) base += " extends " + parent.name;
      return base + "]";
    }
    const tag = fn[Symbol.toStringTag];
    const kind = typeof tag === "string" && tag.endsWith("Function") ? tag : "Function";
    return "[" + kind + (fn.name ? ": " + fn.name : " (anonymous)") + "]";
  }

  const uncaught = shim.uncaught;
  const errorHeader = shim.errorHeader;
  const stackFrames = shim.stackFrames;

  function formatError(err, indentation) {
    let stack;
    try { stack = err.stack; } catch (_) {}
    const frames = typeof stack === "string" ? stackFrames(stack) : [];
    const text = [errorHeader(err)].concat(frames).join("\n");
    return indentation ? text.split("\n").join("\n" + " ".repeat(indentation)) : text;
  }

  function isBelowBreakLength(ctx, output, start, base) {
    let total = output.length + start;
    if (total + output.length > BREAK_LENGTH) return false;
    for (let i = 0; i < output.length; i++) {
      total += output[i].length;
      if (total > BREAK_LENGTH) return false;
    }
    return base === "" || !base.includes("\n");
  }

  // Arrays of more than six short entries are laid out in columns, as node does.
  function groupArrayElements(ctx, output, value) {
    let totalLength = 0;
    let maxLength = 0;
    let outputLength = output.length;
    if (ctx.extraItems) outputLength--;
    const separatorSpace = 2;
    const dataLen = new Array(outputLength);
    for (let i = 0; i < outputLength; i++) {
      const len = output[i].length;
      dataLen[i] = len;
      totalLength += len + separatorSpace;
      if (maxLength < len) maxLength = len;
    }
    const actualMax = maxLength + separatorSpace;
    if (actualMax * 3 + ctx.indentationLvl < BREAK_LENGTH &&
        (totalLength / actualMax > 5 || maxLength <= 6)) {
      const averageBias = Math.sqrt(actualMax - totalLength / output.length);
      const biasedMax = Math.max(actualMax - 3 - averageBias, 1);
      const columns = Math.min(
        Math.round(Math.sqrt(2.5 * biasedMax * outputLength) / biasedMax),
        Math.floor((BREAK_LENGTH - ctx.indentationLvl) / actualMax),
        12,
        15
      );
      if (columns <= 1) return output;
      const tmp = [];
      const maxLineLength = [];
      for (let i = 0; i < columns; i++) {
        let lineLength = 0;
        for (let j = i; j < output.length; j += columns) {
          if (dataLen[j] > lineLength) lineLength = dataLen[j];
        }
        maxLineLength.push(lineLength + separatorSpace);
      }
      let padStart = true;
      if (value !== undefined) {
        for (let i = 0; i < output.length; i++) {
          if (typeof value[i] !== "number" && typeof value[i] !== "bigint") {
            padStart = false;
            break;
          }
        }
      }
      for (let i = 0; i < outputLength; i += columns) {
        const max = Math.min(i + columns, outputLength);
        let str = "";
        let j = i;
        for (; j < max - 1; j++) {
          const cell = output[j] + ", ";
          str += padStart ? cell.padStart(maxLineLength[j - i]) : cell.padEnd(maxLineLength[j - i]);
        }
        str += padStart ? output[j].padStart(maxLineLength[j - i] - separatorSpace) : output[j];
        tmp.push(str);
      }
      if (ctx.extraItems) tmp.push(output[outputLength]);
      output = tmp;
    }
    return output;
  }

  function reduceToSingleString(ctx, output, base, braces, isArray, recurseTimes, value) {
    const entries = output.length;
    if (isArray && entries > 6) output = groupArrayElements(ctx, output, value);
    if (ctx.currentDepth - recurseTimes < 3 && entries === output.length) {
      const start = output.length + ctx.indentationLvl + braces[0].length + base.length + 10;
      if (isBelowBreakLength(ctx, output, start, base)) {
        const joined = output.join(", ");
        if (!joined.includes("\n")) {
          return (base ? base + " " : "") + braces[0] + " " + joined + " " + braces[1];
        }
      }
    }
    const indentation = "\n" + " ".repeat(ctx.indentationLvl);
    return (base ? base + " " : "") + braces[0] + indentation + "  " +
      output.join("," + indentation + "  ") + indentation + braces[1];
  }

  function formatProperty(ctx, obj, key, recurseTimes, inArray) {
    const desc = Object.getOwnPropertyDescriptor(obj, key) || { value: obj[key], enumerable: true };
    let str;
    if (desc.value !== undefined || !("get" in desc || "set" in desc)) {
      ctx.indentationLvl += 2;
      str = formatValue(ctx, desc.value, recurseTimes);
      ctx.indentationLvl -= 2;
    } else if (desc.get !== undefined) {
      str = desc.set !== undefined ? "[Getter/Setter]" : "[Getter]";
    } else {
      str = desc.set !== undefined ? "[Setter]" : "undefined";
    }
    if (inArray) return str;
    return formatKey(key) + ": " + str;
  }

  function ownKeys(obj) {
    const keys = Object.keys(obj);
    const symbols = Object.getOwnPropertySymbols(obj).filter(function (s) {
      return Object.prototype.propertyIsEnumerable.call(obj, s);
    });
    return keys.concat(symbols);
  }

  function formatArrayLike(ctx, value, recurseTimes, length) {
    const output = [];
    const shown = Math.min(length, MAX_ARRAY_LENGTH);
    let holes = 0;
    for (let i = 0; i < shown; i++) {
      if (!Object.prototype.hasOwnProperty.call(value, i)) {
        holes++;
        continue;
      }
      if (holes > 0) {
        output.push("<" + holes + " empty item" + (holes > 1 ? "s" : "") + ">");
        holes = 0;
      }
      output.push(formatProperty(ctx, value, String(i), recurseTimes, true));
    }
    if (holes > 0) output.push("<" + holes + " empty item" + (holes > 1 ? "s" : "") + ">");
    ctx.extraItems = length > shown;
    if (ctx.extraItems) {
      const rest = length - shown;
      output.push("... " + rest + " more item" + (rest > 1 ? "s" : ""));
    }
    return output;
  }

  function formatValue(ctx, value, recurseTimes, typedArray) {
    if (value === null || (typeof value !== "object" && typeof value !== "function")) {
      return formatPrimitive(value);
    }
    if (ctx.seen.includes(value)) {
      let index = ctx.circular.get(value);
      if (index === undefined) {
        index = ctx.circular.size + 1;
        ctx.circular.set(value, index);
      }
      return "[Circular *" + index + "]";
    }
    return formatRaw(ctx, value, recurseTimes, typedArray);
  }

  function formatRaw(ctx, value, recurseTimes) {
    const name = constructorName(value);
    const keys = ownKeys(value);
    let braces;
    let base = "";
    let output;
    let isArray = false;
    let formatter = function () { return []; };
    let prefix = name === null ? "[Object: null prototype] " : name === "Object" ? "" : name + " ";

    if (Array.isArray(value)) {
      isArray = true;
      prefix = name === "Array" ? "" : prefix;
      braces = [prefix + "[", "]"];
      if (value.length === 0 && keys.length === 0) return braces[0] + "]";
      formatter = function () { return formatArrayLike(ctx, value, recurseTimes, value.length); };
      keys.splice(0, keys.length, ...keys.filter(function (k) { return typeof k !== "string" || !/^(0|[1-9][0-9]*)$/.test(k); }));
    } else if (value instanceof Map) {
      const size = value.size;
      braces = [(name || "Map") + "(" + size + ") {", "}"];
      if (size === 0 && keys.length === 0) return braces[0] + "}";
      formatter = function () {
        const out = [];
        ctx.indentationLvl += 2;
        value.forEach(function (v, k) {
          out.push(formatValue(ctx, k, recurseTimes) + " => " + formatValue(ctx, v, recurseTimes));
        });
        ctx.indentationLvl -= 2;
        return out;
      };
    } else if (value instanceof Set) {
      const size = value.size;
      braces = [(name || "Set") + "(" + size + ") {", "}"];
      if (size === 0 && keys.length === 0) return braces[0] + "}";
      formatter = function () {
        const out = [];
        ctx.indentationLvl += 2;
        value.forEach(function (v) { out.push(formatValue(ctx, v, recurseTimes)); });
        ctx.indentationLvl -= 2;
        return out;
      };
    } else if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      isArray = true;
      braces = [(name || "TypedArray") + "(" + value.length + ") [", "]"];
      if (value.length === 0 && keys.length === 0) return braces[0] + "]";
      formatter = function () {
        const out = [];
        const shown = Math.min(value.length, MAX_ARRAY_LENGTH);
        for (let i = 0; i < shown; i++) out.push(formatPrimitive(value[i]));
        ctx.extraItems = value.length > shown;
        if (ctx.extraItems) {
          const rest = value.length - shown;
          out.push("... " + rest + " more item" + (rest > 1 ? "s" : ""));
        }
        return out;
      };
      keys.splice(0, keys.length, ...keys.filter(function (k) { return typeof k !== "string" || !/^(0|[1-9][0-9]*)$/.test(k); }));
    } else if (value instanceof ArrayBuffer) {
      const bytes = new Uint8Array(value, 0, Math.min(value.byteLength, 50));
      let hex = Array.prototype.map.call(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join(" ");
      if (value.byteLength > 50) hex += " ... " + (value.byteLength - 50) + " more byte" + (value.byteLength - 50 > 1 ? "s" : "");
      return "ArrayBuffer { [Uint8Contents]: <" + hex + ">, byteLength: " + value.byteLength + " }";
    } else {
      braces = ["{", "}"];
      if (typeof value === "function") {
        base = functionBase(value);
        if (keys.length === 0) return base;
      } else if (value instanceof RegExp) {
        base = RegExp.prototype.toString.call(value);
        if (keys.length === 0) return base;
      } else if (value instanceof Date) {
        base = isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
        if (keys.length === 0) return base;
      } else if (value instanceof Error) {
        base = formatError(value, ctx.indentationLvl);
        const extra = keys.filter(function (k) { return k !== "stack" && k !== "message"; });
        keys.splice(0, keys.length, ...extra);
        if (keys.length === 0) return base;
      } else if (value instanceof Promise) {
        // QuickJS does not let JavaScript see a promise's state.
        braces[0] = "Promise {";
        if (keys.length === 0) return "Promise {}";
      } else if (value instanceof Number || value instanceof String || value instanceof Boolean) {
        const type = value instanceof Number ? "Number" : value instanceof String ? "String" : "Boolean";
        base = "[" + type + ": " + formatPrimitive(value.valueOf()) + "]";
        if (value instanceof String) keys.splice(0, keys.length, ...keys.filter(function (k) { return !/^(0|[1-9][0-9]*)$/.test(k); }));
        if (keys.length === 0) return base;
      } else if (keys.length === 0) {
        return prefix + "{}";
      } else {
        braces[0] = prefix + "{";
      }
    }

    if (recurseTimes > ctx.depth) {
      return "[" + (name === null ? "Object: null prototype" : isArray ? (name || "Array") : (name || "Object")) + "]";
    }
    recurseTimes += 1;
    ctx.seen.push(value);
    ctx.currentDepth = recurseTimes;
    ctx.extraItems = false;
    try {
      output = formatter();
      const extraItems = ctx.extraItems;
      for (let i = 0; i < keys.length; i++) output.push(formatProperty(ctx, value, keys[i], recurseTimes, false));
      ctx.extraItems = extraItems;
    } finally {
      ctx.seen.pop();
    }
    const index = ctx.circular.get(value);
    if (index !== undefined) {
      const reference = "<ref *" + index + ">";
      if (base === "") braces[0] = reference + " " + braces[0];
      else base = reference + " " + base;
    }
    const result = reduceToSingleString(ctx, output, base, braces, isArray, recurseTimes, value);
    ctx.extraItems = false;
    return result;
  }

  /** node's util.inspect(value, { depth }) for the common cases. */
  function inspect(value, options) {
    const depth = options && options.depth !== undefined ? (options.depth === null ? Infinity : options.depth) : 2;
    const ctx = { depth: depth, seen: [], circular: new Map(), indentationLvl: 0, currentDepth: 0, extraItems: false };
    return formatValue(ctx, value, 0);
  }

  // ---- console ------------------------------------------------------------

  // console.log's arguments as one line: printf-like specifiers in a
  // leading string, then the rest, strings as they are.
  function format(args) {
    let first = 0;
    let text = "";
    if (typeof args[0] === "string" && args.length > 1 && args[0].includes("%")) {
      const fmt = args[0];
      let next = 1;
      let last = 0;
      for (let i = 0; i < fmt.length - 1; i++) {
        if (fmt[i] !== "%") continue;
        const c = fmt[i + 1];
        let piece;
        if (c === "%") piece = "%";
        else if (next >= args.length) continue;
        else if (c === "s") {
          const a = args[next++];
          piece = typeof a === "string" ? a : typeof a === "bigint" ? a + "n" : typeof a === "object" && a !== null ? inspect(a, { depth: 1 }) : formatPrimitive(a).replace(/^'(.*)'$/, "$1");
        } else if (c === "d" || c === "i") {
          const a = args[next++];
          piece = typeof a === "bigint" ? a + "n" : typeof a === "object" && a !== null ? "NaN" : formatNumber(c === "d" ? Number(a) : parseInt(a));
        } else if (c === "f") piece = formatNumber(parseFloat(args[next++]));
        else if (c === "j") {
          try { piece = JSON.stringify(args[next++]); } catch (_) { piece = "[Circular]"; }
        } else if (c === "o" || c === "O") piece = inspect(args[next++], { depth: c === "o" ? 4 : 2 });
        else if (c === "c") { next++; piece = ""; }
        else continue;
        text += fmt.slice(last, i) + piece;
        last = i + 2;
        i++;
      }
      text += fmt.slice(last);
      first = next;
      if (first < args.length) text += " ";
    }
    for (let i = first; i < args.length; i++) {
      const a = args[i];
      text += (i > first ? " " : "") + (typeof a === "string" ? a : inspect(a));
    }
    return text;
  }

  let groupIndent = "";
  function write(stream, text) {
    if (groupIndent) text = groupIndent + text.split("\n").join("\n" + groupIndent);
    stream.puts(text + "\n");
  }
  const out = function () { write(std.out, format(Array.prototype.slice.call(arguments))); };
  const err = function () { write(std.err, format(Array.prototype.slice.call(arguments))); };

  const counts = new Map();
  const timers = new Map();

  function label(value) {
    return value === undefined ? "default" : String(value);
  }

  function elapsed(name) {
    const ms = performance.now() - timers.get(name);
    return ms >= 1000 ? (ms / 1000).toFixed(3) + "s" : ms.toFixed(3) + "ms";
  }

  // node's console.table: a box of the rows (index, then each column).
  function table(data, columns) {
    if (data === null || typeof data !== "object") return out(data);
    const indexHeader = "(index)";
    const valuesHeader = "Values";
    const rowKeys = data instanceof Map ? Array.from(data.keys()) : Object.keys(data);
    const rowValues = data instanceof Map ? Array.from(data.values()) : rowKeys.map(function (k) { return data[k]; });
    const header = [];
    const seen = new Set();
    let hasValues = false;
    rowValues.forEach(function (row) {
      if (row !== null && typeof row === "object") {
        Object.keys(row).forEach(function (k) {
          if (!seen.has(k)) { seen.add(k); header.push(k); }
        });
      } else {
        hasValues = true;
      }
    });
    const cols = columns ? Array.from(columns, String) : header;
    const cell = function (v) { return v === undefined ? "" : inspect(v, { depth: 1 }).replace(/\n\s*/g, " "); };
    const rows = rowValues.map(function (row, i) {
      const isObj = row !== null && typeof row === "object";
      const cells = [data instanceof Map ? cell(rowKeys[i]) : rowKeys[i]];
      cols.forEach(function (c) { cells.push(isObj && c in row ? cell(row[c]) : ""); });
      if (hasValues) cells.push(isObj ? "" : cell(row));
      return cells;
    });
    const head = [data instanceof Map ? "(iteration index)" : indexHeader].concat(cols);
    if (hasValues) head.push(valuesHeader);
    const widths = head.map(function (h, i) {
      return rows.reduce(function (w, r) { return Math.max(w, r[i].length); }, h.length) + 2;
    });
    const line = function (l, m, r) { return l + widths.map(function (w) { return "─".repeat(w); }).join(m) + r; };
    const render = function (cells) {
      return "│" + cells.map(function (c, i) { return " " + c.padEnd(widths[i] - 1); }).join("│") + "│";
    };
    const lines = [line("┌", "┬", "┐"), render(head), line("├", "┼", "┤")];
    rows.forEach(function (r) { lines.push(render(r)); });
    lines.push(line("└", "┴", "┘"));
    write(std.out, lines.join("\n"));
  }

  const console = {
    log: out,
    info: out,
    debug: out,
    error: err,
    warn: err,
    dir: function (value, options) { write(std.out, inspect(value, options)); },
    trace: function () {
      const message = format(Array.prototype.slice.call(arguments));
      const frames = stackFrames(new Error().stack);
      write(std.err, ["Trace" + (message ? ": " + message : "")].concat(frames).join("\n"));
    },
    assert: function (condition) {
      if (condition) return;
      const rest = Array.prototype.slice.call(arguments, 1);
      if (typeof rest[0] === "string") rest[0] = "Assertion failed: " + rest[0];
      else rest.unshift("Assertion failed");
      write(std.err, format(rest));
    },
    table: table,
    count: function (name) {
      name = label(name);
      const n = (counts.get(name) || 0) + 1;
      counts.set(name, n);
      write(std.out, name + ": " + n);
    },
    countReset: function (name) { counts.delete(label(name)); },
    time: function (name) {
      name = label(name);
      if (timers.has(name)) return err("Warning: Label '" + name + "' already exists for console.time()");
      timers.set(name, performance.now());
    },
    timeLog: function (name) {
      name = label(name);
      if (!timers.has(name)) return err("Warning: No such label '" + name + "' for console.timeLog()");
      const rest = Array.prototype.slice.call(arguments, 1);
      write(std.out, [name + ": " + elapsed(name)].concat(rest.length ? [format(rest)] : []).join(" "));
    },
    timeEnd: function (name) {
      name = label(name);
      if (!timers.has(name)) return err("Warning: No such label '" + name + "' for console.timeEnd()");
      write(std.out, name + ": " + elapsed(name));
      timers.delete(name);
    },
    group: function () {
      if (arguments.length) out.apply(null, arguments);
      groupIndent += "  ";
    },
    groupEnd: function () { groupIndent = groupIndent.slice(2); },
  };
  console.groupCollapsed = console.group;

  // ---- timers ---------------------------------------------------------------

  // Each timer is one os.setTimeout at a time (an interval re-arms itself),
  // so due timers take turns. Delays are node's: at least 1 ms.
  const TIMEOUT_MAX = 2147483647;
  const active = new Map();
  let nextId = 1;

  class Timeout {
    constructor(callback, delay, args, repeat) {
      delay = Number(delay);
      if (!(delay >= 1 && delay <= TIMEOUT_MAX)) delay = 1;
      this._id = nextId++;
      this._callback = callback;
      this._delay = delay;
      this._args = args;
      this._repeat = repeat;
      this._handle = null;
      active.set(this._id, this);
      this._arm();
    }
    _arm() {
      const self = this;
      this._handle = os.setTimeout(function () { self._fire(); }, this._delay);
    }
    _fire() {
      if (!this._repeat) active.delete(this._id);
      try {
        this._callback.apply(undefined, this._args);
      } catch (e) {
        uncaught(e);
      }
      if (this._repeat && active.has(this._id)) this._arm();
    }
    _clear() {
      active.delete(this._id);
      os.clearTimeout(this._handle);
    }
    ref() { return this; }
    unref() { return this; }
    hasRef() { return true; }
    refresh() {
      if (active.has(this._id)) {
        os.clearTimeout(this._handle);
        this._arm();
      }
      return this;
    }
    [Symbol.toPrimitive]() { return this._id; }
  }

  function callback(fn) {
    if (typeof fn !== "function") {
      throw new TypeError("The \"callback\" argument must be of type function. Received " + inspect(fn));
    }
    return fn;
  }

  function clear(timer) {
    if (timer === null || timer === undefined) return;
    const found = timer instanceof Timeout ? timer : active.get(Number(timer));
    if (found) found._clear();
  }

  const timerApi = {
    setTimeout: function (fn, delay) {
      return new Timeout(callback(fn), delay, Array.prototype.slice.call(arguments, 2), false);
    },
    setInterval: function (fn, delay) {
      return new Timeout(callback(fn), delay, Array.prototype.slice.call(arguments, 2), true);
    },
    setImmediate: function (fn) {
      const immediate = new Timeout(callback(fn), 1, Array.prototype.slice.call(arguments, 1), false);
      os.clearTimeout(immediate._handle);
      immediate._delay = 0;
      immediate._arm();
      return immediate;
    },
    clearTimeout: clear,
    clearInterval: clear,
    clearImmediate: clear,
  };

  // ---- structuredClone ------------------------------------------------------

  function dataCloneError(what) {
    return new DOMException(what + " could not be cloned.", "DataCloneError");
  }

  function structuredClone(value) {
    const memory = new Map();
    function clone(v) {
      if (typeof v === "function") throw dataCloneError(functionBase(v));
      if (typeof v === "symbol") throw dataCloneError(v.toString());
      if (v === null || typeof v !== "object") return v;
      if (memory.has(v)) return memory.get(v);
      let copy;
      if (Array.isArray(v)) {
        copy = new Array(v.length);
        memory.set(v, copy);
        Object.keys(v).forEach(function (k) { copy[k] = clone(v[k]); });
        return copy;
      }
      if (v instanceof Date) copy = new Date(v.getTime());
      else if (v instanceof RegExp) copy = new RegExp(v.source, v.flags);
      else if (v instanceof Boolean || v instanceof Number || v instanceof String) copy = Object(v.valueOf());
      else if (v instanceof ArrayBuffer) copy = v.slice(0);
      else if (ArrayBuffer.isView(v)) {
        const buffer = clone(v.buffer);
        copy = v instanceof DataView
          ? new DataView(buffer, v.byteOffset, v.byteLength)
          : new v.constructor(buffer, v.byteOffset, v.length);
      } else if (v instanceof Map) {
        copy = new Map();
        memory.set(v, copy);
        v.forEach(function (val, key) { copy.set(clone(key), clone(val)); });
        return copy;
      } else if (v instanceof Set) {
        copy = new Set();
        memory.set(v, copy);
        v.forEach(function (val) { copy.add(clone(val)); });
        return copy;
      } else if (v instanceof Error) {
        const Ctor = { EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError }[v.name] || Error;
        copy = new Ctor(v.message);
        memory.set(v, copy);
        if (v.stack !== undefined) copy.stack = String(v.stack);
        if ("cause" in v) copy.cause = clone(v.cause);
        return copy;
      } else if (v instanceof Promise || v instanceof WeakMap || v instanceof WeakSet || v instanceof WeakRef) {
        throw dataCloneError("#<" + (constructorName(v) || "Object") + ">");
      } else {
        copy = {};
        memory.set(v, copy);
        Object.keys(v).forEach(function (k) { copy[k] = clone(v[k]); });
        return copy;
      }
      memory.set(v, copy);
      return copy;
    }
    if (arguments.length === 0) throw new TypeError("The \"value\" argument must be specified");
    return clone(value);
  }

  // ---- TextEncoder / TextDecoder (UTF-8) ----------------------------------

  function utf8Encode(str) {
    const bytes = [];
    for (let i = 0; i < str.length; i++) {
      let c = str.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < str.length) {
        const d = str.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
        }
      }
      if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // a lone surrogate
      if (c < 0x80) bytes.push(c);
      else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      else if (c < 0x10000) bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      else bytes.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    return new Uint8Array(bytes);
  }

  class TextEncoder {
    get encoding() { return "utf-8"; }
    encode(input) { return utf8Encode(input === undefined ? "" : String(input)); }
    encodeInto(input, dest) {
      const bytes = utf8Encode(String(input));
      let written = 0;
      let read = 0;
      // Whole characters only: stop before one that does not fit.
      for (let i = 0; i < bytes.length;) {
        const b = bytes[i];
        const len = b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
        if (written + len > dest.length) break;
        for (let k = 0; k < len; k++) dest[written + k] = bytes[i + k];
        written += len;
        i += len;
        read += len === 4 ? 2 : 1;
      }
      return { read: read, written: written };
    }
  }

  class TextDecoder {
    constructor(label, options) {
      const name = label === undefined ? "utf-8" : String(label).trim().toLowerCase();
      if (name !== "utf-8" && name !== "utf8" && name !== "unicode-1-1-utf-8") {
        throw new RangeError("The \"" + label + "\" encoding is not supported");
      }
      this._fatal = !!(options && options.fatal);
      this._ignoreBOM = !!(options && options.ignoreBOM);
      this._pending = [];
    }
    get encoding() { return "utf-8"; }
    get fatal() { return this._fatal; }
    get ignoreBOM() { return this._ignoreBOM; }
    decode(input, options) {
      let bytes;
      if (input === undefined) bytes = new Uint8Array(0);
      else if (input instanceof ArrayBuffer || input instanceof SharedArrayBuffer) bytes = new Uint8Array(input);
      else if (ArrayBuffer.isView(input)) bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
      else throw new TypeError("The \"input\" argument must be an ArrayBuffer or ArrayBufferView");
      const stream = !!(options && options.stream);
      if (this._pending.length) {
        const joined = new Uint8Array(this._pending.length + bytes.length);
        joined.set(this._pending);
        joined.set(bytes, this._pending.length);
        bytes = joined;
        this._pending = [];
      }
      let text = "";
      let i = 0;
      const fail = () => {
        if (this._fatal) throw new TypeError("The encoded data was not valid for encoding utf-8");
        text += "\ufffd";
      };
      while (i < bytes.length) {
        const b = bytes[i];
        if (b < 0x80) {
          text += String.fromCharCode(b);
          i++;
          continue;
        }
        const len = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
        if (len === 0) { fail(); i++; continue; }
        let cp = b & (len === 2 ? 0x1f : len === 3 ? 0x0f : 0x07);
        let k = 1;
        for (; k < len && i + k < bytes.length; k++) {
          const c = bytes[i + k];
          const lo = k === 1 && b === 0xe0 ? 0xa0 : k === 1 && b === 0xf0 ? 0x90 : 0x80;
          const hi = k === 1 && b === 0xed ? 0x9f : k === 1 && b === 0xf4 ? 0x8f : 0xbf;
          if (c < lo || c > hi) break;
          cp = (cp << 6) | (c & 63);
        }
        if (k < len) {
          if (i + k >= bytes.length && stream) {
            this._pending = Array.from(bytes.subarray(i));
            break;
          }
          fail();
          i += k;
          continue;
        }
        text += String.fromCodePoint(cp);
        i += len;
      }
      if (!this._ignoreBOM && !this._started && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      this._started = stream;
      return text;
    }
  }

  // ---- atob / btoa ------------------------------------------------------------

  const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

  function btoa(data) {
    if (arguments.length === 0) throw new TypeError("The \"data\" argument must be specified");
    const s = String(data);
    let out = "";
    for (let i = 0; i < s.length; i += 3) {
      const a = s.charCodeAt(i), b = s.charCodeAt(i + 1), c = s.charCodeAt(i + 2);
      if (a > 255 || b > 255 || c > 255) throw new DOMException("Invalid character", "InvalidCharacterError");
      const n = (a << 16) | ((b || 0) << 8) | (c || 0);
      out += BASE64[n >> 18] + BASE64[(n >> 12) & 63] +
        (i + 1 < s.length ? BASE64[(n >> 6) & 63] : "=") + (i + 2 < s.length ? BASE64[n & 63] : "=");
    }
    return out;
  }

  function atob(data) {
    if (arguments.length === 0) throw new TypeError("The \"data\" argument must be specified");
    let s = String(data).replace(/[\t\n\f\r ]/g, "");
    if (s.length % 4 === 0) s = s.replace(/==?$/, "");
    if (s.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(s)) {
      throw new DOMException("The string to be decoded is not correctly encoded.", "InvalidCharacterError");
    }
    let out = "";
    let bits = 0;
    let acc = 0;
    for (let i = 0; i < s.length; i++) {
      acc = (acc << 6) | BASE64.indexOf(s[i]);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out += String.fromCharCode((acc >> bits) & 255);
      }
    }
    return out;
  }

  const globals = Object.assign({
    console: console,
    structuredClone: structuredClone,
    TextEncoder: TextEncoder,
    TextDecoder: TextDecoder,
    atob: atob,
    btoa: btoa,
  }, timerApi);
  Object.keys(globals).forEach(function (name) {
    Object.defineProperty(g, name, { value: globals[name], writable: true, configurable: true, enumerable: false });
  });
  return { inspect: inspect };
})
