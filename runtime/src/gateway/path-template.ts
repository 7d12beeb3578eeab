// The path templates of google.api.http rules, parsed once so that routing never looks at the text again.
//
//   Template = "/" Segments [ Verb ] ;  Segments = Segment { "/" Segment } ;
//   Segment  = "*" | "**" | LITERAL | Variable ;  Variable = "{" FieldPath [ "=" Segments ] "}" ;
//   FieldPath = IDENT { "." IDENT } ;  Verb = ":" LITERAL ;

/** One segment of a template: a literal (still percent-encoded as written), `*` (one segment) or `**` (zero or more, last only). */
export type TemplateSegment = { readonly kind: "literal"; readonly value: string } | { readonly kind: "wildcard" } | { readonly kind: "deep-wildcard" };

/** A variable of a template: the field it binds and the segments it covers. `{name}` covers one `*` segment. */
export interface TemplateVariable {
  /** The field path, one element per name: `{book.name}` is `["book", "name"]`. */
  readonly fieldPath: readonly string[];
  /** segment index range [start, end) */
  readonly start: number;
  readonly end: number;
}

/**
 * A parsed path template. Variables are flattened into the segment list, so `/v1/{name=shelves/*}:get`
 * has the segments `v1`, `shelves`, `*`, one variable over [1, 3) and the verb `get`.
 */
export interface PathTemplate {
  /** The template as written. */
  readonly source: string;
  readonly segments: readonly TemplateSegment[];
  /** In the order they appear. */
  readonly variables: readonly TemplateVariable[];
  /** The custom verb without its colon, as in `/v1/{name}:cancel`. */
  readonly verb: string | undefined;
}

/**
 * A template that does not follow the grammar. The message says what is wrong and where, e.g.
 * `"**" must be the last segment of "/v1/**\/x" (at 4)`; `position` is that index into `template`.
 */
export class PathTemplateError extends Error {
  override readonly name = "PathTemplateError";
  readonly template: string;
  readonly position: number;

  constructor(message: string, template: string, position: number) {
    super(message);
    this.template = template;
    this.position = position;
  }
}

/**
 * Parses a google.api.http path template. `{var}` stands for `{var=*}`; `**` may only be the last
 * segment; variables do not nest and each field path names one variable; literals are RFC 3986 path
 * characters other than `*` and `:` (percent-encoded as needed); every segment is non-empty.
 *
 * @example
 * parsePathTemplate("/v1/{name=shelves/*}/books/{book_id}:get");
 * @throws PathTemplateError when the template does not follow the grammar.
 */
export function parsePathTemplate(template: string): PathTemplate {
  return new TemplateParser(template).parse();
}

/**
 * The template in OpenAPI form: "/v1/{name}" for single-segment variables; multi-segment variables
 * `{name=shelves/*}` become one path parameter "{name}" too. Wildcards outside variables stay `*` and `**`
 * (OpenAPI has no way to say them), and the verb stays `:verb`.
 */
export function openApiPath(template: PathTemplate): string {
  const parts: string[] = [];
  for (let index = 0; index < template.segments.length; ) {
    const variable = template.variables.find((candidate) => candidate.start === index);
    if (variable !== undefined) {
      parts.push(`{${variable.fieldPath.join(".")}}`);
      index = variable.end;
      continue;
    }
    parts.push(segmentText(template.segments[index]!));
    index++;
  }
  return "/" + parts.join("/") + (template.verb === undefined ? "" : `:${template.verb}`);
}

/** The segment as it is written in a template. */
function segmentText(segment: TemplateSegment): string {
  switch (segment.kind) {
    case "literal":
      return segment.value;
    case "wildcard":
      return "*";
    case "deep-wildcard":
      return "**";
  }
}

// RFC 3986 pchar without ":" (it starts the verb) and "*" (wildcards); "%" is checked on its own.
const literalCharacter = /[A-Za-z0-9\-._~!$&'()+,;=@]/;
const identStart = /[A-Za-z_]/;
const identPart = /[A-Za-z0-9_]/;
const hexDigit = /[0-9A-Fa-f]/;

class TemplateParser {
  private position = 0;
  private readonly segments: TemplateSegment[] = [];
  // Where each segment starts in the source, for the message about a misplaced "**".
  private readonly segmentPositions: number[] = [];
  private readonly variables: TemplateVariable[] = [];
  private inVariable = false;

  constructor(private readonly source: string) {}

  parse(): PathTemplate {
    if (!this.source.startsWith("/")) {
      this.fail(`a template must start with "/", got ${JSON.stringify(this.source)}`, 0, false);
    }
    this.position = 1;
    this.parseSegments();
    let verb: string | undefined;
    if (this.peek() === ":") {
      this.position++;
      const start = this.position;
      verb = this.readLiteral();
      if (verb === "") {
        this.fail("the verb after \":\" is empty", start);
      }
      if (!this.atEnd()) {
        this.fail(`unexpected ${JSON.stringify(this.peek())} after the verb ":${verb}"`, this.position);
      }
    } else if (!this.atEnd()) {
      // parseSegments stops only at the end, ":" or a character no segment can start with here.
      this.fail(`unexpected ${JSON.stringify(this.peek())}${this.peek() === "}" ? " outside a variable" : ""}`, this.position);
    }
    const deep = this.segments.findIndex((segment) => segment.kind === "deep-wildcard");
    if (deep !== -1 && deep !== this.segments.length - 1) {
      this.fail(`"**" must be the last segment of ${JSON.stringify(this.source)}`, this.segmentPositions[deep]!, false);
    }
    return { source: this.source, segments: this.segments, variables: this.variables, verb };
  }

  private parseSegments(): void {
    this.parseSegment();
    while (this.peek() === "/") {
      this.position++;
      this.parseSegment();
    }
  }

  private parseSegment(): void {
    const start = this.position;
    const character = this.peek();
    if (character === "}" && !this.inVariable) {
      this.fail('unexpected "}" outside a variable', start);
    }
    if (character === undefined || character === "/" || character === ":" || character === "}") {
      this.fail("empty segment", start);
    }
    if (character === "{") {
      this.parseVariable();
    } else if (character === "*") {
      const deep = this.source[start + 1] === "*";
      this.position += deep ? 2 : 1;
      this.push(deep ? { kind: "deep-wildcard" } : { kind: "wildcard" }, start);
      if (!this.atSegmentEnd()) {
        this.fail(`${deep ? '"**"' : '"*"'} must be a whole segment`, start);
      }
    } else {
      const value = this.readLiteral();
      if (value === "") {
        this.fail(`invalid character ${JSON.stringify(character)}`, start);
      }
      this.push({ kind: "literal", value }, start);
      if (!this.atSegmentEnd()) {
        const next = this.peek()!;
        const what = next === "*" ? '"*" must be a whole segment' : next === "{" ? "a variable must be a whole segment" : `invalid character ${JSON.stringify(next)}`;
        this.fail(what, this.position);
      }
    }
  }

  private parseVariable(): void {
    const open = this.position;
    if (this.inVariable) {
      this.fail("variables must not nest", open);
    }
    this.position++;
    const fieldPath = [this.readIdent()];
    while (this.peek() === ".") {
      this.position++;
      fieldPath.push(this.readIdent());
    }
    const joined = fieldPath.join(".");
    if (this.variables.some((variable) => variable.fieldPath.join(".") === joined)) {
      this.fail(`the field path "${joined}" names more than one variable`, open + 1);
    }
    const start = this.segments.length;
    if (this.peek() === "=") {
      this.position++;
      this.inVariable = true;
      this.parseSegments();
      this.inVariable = false;
    } else {
      this.push({ kind: "wildcard" }, open);
    }
    if (this.atEnd()) {
      this.fail(`unterminated variable "${joined}", expected "}"`, open);
    }
    if (this.peek() !== "}") {
      this.fail(`unexpected ${JSON.stringify(this.peek())} in the variable "${joined}", expected "}"`, this.position);
    }
    this.position++;
    this.variables.push({ fieldPath, start, end: this.segments.length });
  }

  private readIdent(): string {
    const start = this.position;
    if (!identStart.test(this.peek() ?? "")) {
      this.fail(this.atEnd() ? "expected a field name, got the end" : `expected a field name, got ${JSON.stringify(this.peek())}`, start);
    }
    while (identPart.test(this.peek() ?? "")) {
      this.position++;
    }
    return this.source.slice(start, this.position);
  }

  /** Reads literal characters and percent-encodings; an empty string when there are none. */
  private readLiteral(): string {
    const start = this.position;
    for (;;) {
      const character = this.peek();
      if (character === "%") {
        if (!hexDigit.test(this.source[this.position + 1] ?? "") || !hexDigit.test(this.source[this.position + 2] ?? "")) {
          this.fail(`invalid percent-encoding ${JSON.stringify(this.source.slice(this.position, this.position + 3))}`, this.position);
        }
        this.position += 3;
      } else if (character !== undefined && literalCharacter.test(character)) {
        this.position++;
      } else {
        return this.source.slice(start, this.position);
      }
    }
  }

  private push(segment: TemplateSegment, position: number): void {
    this.segments.push(segment);
    this.segmentPositions.push(position);
  }

  private atSegmentEnd(): boolean {
    const character = this.peek();
    return character === undefined || character === "/" || character === ":" || character === "}";
  }

  private atEnd(): boolean {
    return this.position >= this.source.length;
  }

  private peek(): string | undefined {
    return this.source[this.position];
  }

  private fail(what: string, position: number, withTemplate = true): never {
    const message = withTemplate ? `${what} in ${JSON.stringify(this.source)} (at ${position})` : `${what} (at ${position})`;
    throw new PathTemplateError(message, this.source, position);
  }
}
