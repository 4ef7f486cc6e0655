// A minimal JSON value, parser and serializer for the passes (AssemblyScript). Why our own: the
// ABI moves JSON text, the passes need a tree they can read and build, and the AssemblyScript
// JSON libraries either map JSON onto decorated classes through a compiler transform (json-as:
// a build step and a schema we do not have — the IR is open-ended) or have not been kept up with
// the compiler (assemblyscript-json, last released for 0.19). This file is all of it: RFC 8259
// text in, the same text out (numbers keep their source spelling, objects their key order).
//
// Invariants: a parse error throws (the module aborts through env.abort, which the host reports
// as OPTIMIZER_TRAP with the message); nesting deeper than MAX_DEPTH is an error (the host sends
// documents it has already checked for depth, so this only guards a hostile caller).

export const enum Kind {
  Null = 0,
  Bool = 1,
  Num = 2,
  Str = 3,
  Arr = 4,
  Obj = 5,
}

const MAX_DEPTH: i32 = 128;

export class JValue {
  kind: Kind = Kind.Null;
  flag: bool = false;
  /** A string's value, or a number's source text. */
  text: string = '';
  /** An array's items. */
  items: JValue[] = [];
  /** An object's keys, in order, and their values. */
  keys: string[] = [];
  values: JValue[] = [];

  static nul(): JValue {
    return new JValue();
  }

  static bool(b: bool): JValue {
    const v = new JValue();
    v.kind = Kind.Bool;
    v.flag = b;
    return v;
  }

  static str(s: string): JValue {
    const v = new JValue();
    v.kind = Kind.Str;
    v.text = s;
    return v;
  }

  static int(n: i64): JValue {
    const v = new JValue();
    v.kind = Kind.Num;
    v.text = n.toString();
    return v;
  }

  static arr(): JValue {
    const v = new JValue();
    v.kind = Kind.Arr;
    return v;
  }

  static obj(): JValue {
    const v = new JValue();
    v.kind = Kind.Obj;
    return v;
  }

  isNull(): bool {
    return this.kind == Kind.Null;
  }

  isStr(): bool {
    return this.kind == Kind.Str;
  }

  isArr(): bool {
    return this.kind == Kind.Arr;
  }

  isObj(): bool {
    return this.kind == Kind.Obj;
  }

  /** The value of `key` in an object (null when absent or not an object). */
  get(key: string): JValue | null {
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] == key) return this.values[i];
    }
    return null;
  }

  has(key: string): bool {
    return this.get(key) != null;
  }

  /** The string at `key`, or `fallback` when absent or not a string. */
  getStr(key: string, fallback: string = ''): string {
    const v = this.get(key);
    return v != null && v.kind == Kind.Str ? v.text : fallback;
  }

  /** The array at `key`, or an empty array. */
  getArr(key: string): JValue[] {
    const v = this.get(key);
    return v != null && v.kind == Kind.Arr ? v.items : [];
  }

  set(key: string, value: JValue): JValue {
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] == key) {
        this.values[i] = value;
        return this;
      }
    }
    this.keys.push(key);
    this.values.push(value);
    return this;
  }

  push(value: JValue): JValue {
    this.items.push(value);
    return this;
  }

  /** A deep copy. */
  clone(): JValue {
    const v = new JValue();
    v.kind = this.kind;
    v.flag = this.flag;
    v.text = this.text;
    for (let i = 0; i < this.items.length; i++) v.items.push(this.items[i].clone());
    for (let i = 0; i < this.keys.length; i++) {
      v.keys.push(this.keys[i]);
      v.values.push(this.values[i].clone());
    }
    return v;
  }

  /** Structural equality: objects equal whatever their key order, numbers by their value. */
  equals(other: JValue): bool {
    if (this.kind != other.kind) return false;
    switch (this.kind) {
      case Kind.Null:
        return true;
      case Kind.Bool:
        return this.flag == other.flag;
      case Kind.Num:
        return this.text == other.text || parseFloat(this.text) == parseFloat(other.text);
      case Kind.Str:
        return this.text == other.text;
      case Kind.Arr: {
        if (this.items.length != other.items.length) return false;
        for (let i = 0; i < this.items.length; i++) {
          if (!this.items[i].equals(other.items[i])) return false;
        }
        return true;
      }
      default: {
        if (this.keys.length != other.keys.length) return false;
        for (let i = 0; i < this.keys.length; i++) {
          const theirs = other.get(this.keys[i]);
          if (theirs == null || !this.values[i].equals(theirs)) return false;
        }
        return true;
      }
    }
  }

  stringify(): string {
    const parts: string[] = [];
    this.write(parts);
    return parts.join('');
  }

  write(parts: string[]): void {
    switch (this.kind) {
      case Kind.Null:
        parts.push('null');
        break;
      case Kind.Bool:
        parts.push(this.flag ? 'true' : 'false');
        break;
      case Kind.Num:
        parts.push(this.text);
        break;
      case Kind.Str:
        parts.push(quote(this.text));
        break;
      case Kind.Arr: {
        parts.push('[');
        for (let i = 0; i < this.items.length; i++) {
          if (i > 0) parts.push(',');
          this.items[i].write(parts);
        }
        parts.push(']');
        break;
      }
      default: {
        parts.push('{');
        for (let i = 0; i < this.keys.length; i++) {
          if (i > 0) parts.push(',');
          parts.push(quote(this.keys[i]));
          parts.push(':');
          this.values[i].write(parts);
        }
        parts.push('}');
      }
    }
  }
}

const HEX = '0123456789abcdef';

/** `s` as a JSON string literal (also a JSONata string literal: JSONata reads JSON escapes). */
export function quote(s: string): string {
  const parts: string[] = ['"'];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c != 0x22 && c != 0x5c) continue;
    if (i > start) parts.push(s.substring(start, i));
    start = i + 1;
    if (c == 0x22) parts.push('\\"');
    else if (c == 0x5c) parts.push('\\\\');
    else if (c == 0x0a) parts.push('\\n');
    else if (c == 0x0d) parts.push('\\r');
    else if (c == 0x09) parts.push('\\t');
    else {
      parts.push('\\u00');
      parts.push(HEX.charAt(c >> 4));
      parts.push(HEX.charAt(c & 15));
    }
  }
  if (start < s.length) parts.push(s.substring(start));
  parts.push('"');
  return parts.join('');
}

export function parse(text: string): JValue {
  const p = new Parser(text);
  const v = p.value(0);
  p.ws();
  if (p.i < text.length)
    throw new Error('JSON: unexpected text after the value at ' + p.i.toString());
  return v;
}

class Parser {
  s: string;
  i: i32 = 0;

  constructor(s: string) {
    this.s = s;
  }

  ws(): void {
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d) this.i++;
      else break;
    }
  }

  fail(what: string): JValue {
    throw new Error('JSON: ' + what + ' at ' + this.i.toString());
  }

  literal(word: string): void {
    if (this.s.substr(this.i, word.length) != word) this.fail('expected ' + word);
    this.i += word.length;
  }

  value(depth: i32): JValue {
    if (depth > MAX_DEPTH) return this.fail('nesting too deep');
    this.ws();
    if (this.i >= this.s.length) return this.fail('unexpected end');
    const c = this.s.charCodeAt(this.i);
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) return JValue.str(this.string());
    if (c == 0x74) {
      this.literal('true');
      return JValue.bool(true);
    }
    if (c == 0x66) {
      this.literal('false');
      return JValue.bool(false);
    }
    if (c == 0x6e) {
      this.literal('null');
      return JValue.nul();
    }
    return this.number();
  }

  object(depth: i32): JValue {
    const v = JValue.obj();
    this.i++;
    this.ws();
    if (this.i < this.s.length && this.s.charCodeAt(this.i) == 0x7d) {
      this.i++;
      return v;
    }
    for (;;) {
      this.ws();
      if (this.i >= this.s.length || this.s.charCodeAt(this.i) != 0x22)
        return this.fail('expected a key');
      const key = this.string();
      this.ws();
      if (this.i >= this.s.length || this.s.charCodeAt(this.i) != 0x3a)
        return this.fail("expected ':'");
      this.i++;
      v.keys.push(key);
      v.values.push(this.value(depth + 1));
      this.ws();
      if (this.i >= this.s.length) return this.fail('unexpected end');
      const c = this.s.charCodeAt(this.i++);
      if (c == 0x7d) return v;
      if (c != 0x2c) return this.fail("expected ',' or '}'");
    }
    return v; // not reached: the loop returns
  }

  array(depth: i32): JValue {
    const v = JValue.arr();
    this.i++;
    this.ws();
    if (this.i < this.s.length && this.s.charCodeAt(this.i) == 0x5d) {
      this.i++;
      return v;
    }
    for (;;) {
      v.items.push(this.value(depth + 1));
      this.ws();
      if (this.i >= this.s.length) return this.fail('unexpected end');
      const c = this.s.charCodeAt(this.i++);
      if (c == 0x5d) return v;
      if (c != 0x2c) return this.fail("expected ',' or ']'");
    }
    return v; // not reached: the loop returns
  }

  string(): string {
    this.i++; // the opening quote
    const parts: string[] = [];
    let start = this.i;
    for (;;) {
      if (this.i >= this.s.length) {
        this.fail('unterminated string');
        return '';
      }
      const c = this.s.charCodeAt(this.i);
      if (c == 0x22) {
        parts.push(this.s.substring(start, this.i));
        this.i++;
        return parts.join('');
      }
      if (c < 0x20) {
        this.fail('control character in a string');
        return '';
      }
      if (c != 0x5c) {
        this.i++;
        continue;
      }
      parts.push(this.s.substring(start, this.i));
      this.i++;
      if (this.i >= this.s.length) {
        this.fail('unterminated escape');
        return '';
      }
      const e = this.s.charCodeAt(this.i++);
      if (e == 0x22) parts.push('"');
      else if (e == 0x5c) parts.push('\\');
      else if (e == 0x2f) parts.push('/');
      else if (e == 0x62) parts.push('\b');
      else if (e == 0x66) parts.push('\f');
      else if (e == 0x6e) parts.push('\n');
      else if (e == 0x72) parts.push('\r');
      else if (e == 0x74) parts.push('\t');
      else if (e == 0x75) {
        // \uXXXX is one UTF-16 code unit: a surrogate pair arrives as two escapes, in order.
        if (this.i + 4 > this.s.length) {
          this.fail('short \\u escape');
          return '';
        }
        const code = parseInt(this.s.substr(this.i, 4), 16);
        if (isNaN(code)) this.fail('bad \\u escape');
        parts.push(String.fromCharCode(<i32>code));
        this.i += 4;
      } else {
        this.fail('bad escape');
        return '';
      }
      start = this.i;
    }
    return ''; // not reached: the loop returns
  }

  number(): JValue {
    const start = this.i;
    if (this.i < this.s.length && this.s.charCodeAt(this.i) == 0x2d) this.i++;
    let digits = 0;
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      const isDigit = c >= 0x30 && c <= 0x39;
      if (isDigit) digits++;
      if (isDigit || c == 0x2e || c == 0x65 || c == 0x45 || c == 0x2b || c == 0x2d) this.i++;
      else break;
    }
    if (digits == 0) return this.fail('unexpected character');
    const v = new JValue();
    v.kind = Kind.Num;
    v.text = this.s.substring(start, this.i);
    return v;
  }
}
