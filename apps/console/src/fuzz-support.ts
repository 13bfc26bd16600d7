import fc from 'fast-check';

/** A JSON Schema as zod's toJSONSchema writes it (the subset the OpenAPI document uses). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonSchema = Record<string, any>;

export interface KnownIds {
  /** Real ids to put where a uuid is expected, so requests reach past "not found". */
  uuids: () => string[];
}

/** Values that broke or could break a text API: NUL, lone surrogates, huge, wrong types. */
export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udfff',
    '\udfff\ud800',
    '',
    ' ',
    '%00',
    '\u202e\u200b',
    '💥'.repeat(40),
    'x'.repeat(70_000),
    '9'.repeat(400),
    '2024-02-30',
    'https://evil.example/',
    '../../etc/passwd',
    '<script>alert(1)</script>',
    "' OR 1=1 --",
    -1,
    0,
    1.5,
    1e308,
    -1e308,
    2 ** 53 + 1,
    true,
    false,
    null,
    [],
    {},
    [null],
    { '\u0000': 1 },
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 20 }),
  fc.jsonValue({ maxDepth: 2 }),
);

function stringFor(schema: JsonSchema, ids: KnownIds): fc.Arbitrary<string> {
  switch (schema.format) {
    case 'uuid':
      return fc.oneof(
        fc.constant(null).map(() => ids.uuids()[0] ?? '00000000-0000-4000-8000-000000000000'),
        fc.uuid({ version: 4 }),
      );
    case 'email':
      return fc.emailAddress();
    case 'date-time':
      return fc
        .date({ min: new Date('1990-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString());
    case 'date':
      return fc
        .date({ min: new Date('1990-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString().slice(0, 10));
    case 'uri':
      return fc.constantFrom(
        'https://login.microsoftonline.com',
        'https://graph.microsoft.com',
        'https://graph.microsoft.us',
        'https://evil.example',
      );
  }
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? 40, 40));
  return fc.oneof(
    fc.string({ minLength, maxLength, unit: 'grapheme-ascii' }),
    fc.string({ minLength, maxLength, unit: 'binary' }),
  );
}

/** Values that follow `schema` (loosely: patterns and cross-field rules are not modelled). */
export function valueFor(schema: JsonSchema, ids: KnownIds, depth = 0): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...(schema.enum as unknown[]));
  if (schema.const !== undefined) return fc.constant(schema.const);
  const alternatives = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (alternatives) return fc.oneof(...alternatives.map((s) => valueFor(s, ids, depth)));
  switch (schema.type) {
    case 'string':
      return stringFor(schema, ids);
    case 'integer':
      return fc.integer({
        min: Math.max(schema.minimum ?? -1_000_000, -1_000_000),
        max: Math.min(schema.maximum ?? 1_000_000, 1_000_000),
      });
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(depth > 3 ? nastyValue : valueFor(schema.items ?? {}, ids, depth + 1), {
        maxLength: Math.min(schema.maxItems ?? 3, 3),
      });
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, value] of Object.entries(properties)) record[key] = valueFor(value, ids, depth + 1);
      return fc.record(record, { requiredKeys: (schema.required ?? []) as string[] });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** A body: valid for the schema, or mutated (a field made nasty, a required one dropped, one added). */
export function bodyFor(schema: JsonSchema, ids: KnownIds): fc.Arbitrary<unknown> {
  const valid = valueFor(schema, ids);
  const keys = Object.keys(schema.properties ?? {});
  const mutations: fc.Arbitrary<unknown>[] = [valid, nastyValue];
  if (keys.length) {
    mutations.push(
      fc
        .tuple(valid, fc.constantFrom(...keys), nastyValue)
        .map(([body, key, bad]) => withField(body, key, bad)),
      fc
        .tuple(valid, fc.constantFrom(...keys), fc.constantFrom(...keys), nastyValue)
        .map(([body, key, inner, bad]) => withField(body, key, { [inner]: bad })),
      fc.tuple(valid, fc.constantFrom(...keys)).map(([body, key]) => withoutField(body, key)),
      fc
        .tuple(valid, fc.string({ maxLength: 10 }), nastyValue)
        .map(([body, key, bad]) => withField(body, `x${key}`, bad)),
    );
  }
  return fc.oneof(...mutations);
}

function withField(body: unknown, key: string, value: unknown): unknown {
  return body && typeof body === 'object' && !Array.isArray(body) ? { ...body, [key]: value } : body;
}

function withoutField(body: unknown, key: string): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const copy = { ...(body as Record<string, unknown>) };
  delete copy[key];
  return copy;
}

/** How the body travels: mostly JSON, sometimes as something a browser form or a careless client sends. */
export const contentTypes = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'APPLICATION/JSON') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      'application/json-patch+json',
      undefined,
    ),
  },
);

/** The raw payload: the body as JSON, or text that is not JSON at all. */
export function payloadFor(body: fc.Arbitrary<unknown>): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 10, arbitrary: body.map((b) => JSON.stringify(b)) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('{"a":', '\u0000', '[]]', 'null', '"', '{"__proto__":{"x":1}}', undefined),
    },
  );
}
