import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'pg';

export const DEFAULT_SCHEMA_PATH = path.resolve(__dirname, '../../../prisma/schema.prisma');

/** The parts of Prisma's DMMF the drift check reads (the metadata the client is generated from). */
export interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'enum' | 'object' | 'unsupported';
  type: string;
  isRequired: boolean;
  isList: boolean;
  hasDefaultValue: boolean;
  default?: unknown;
  nativeType?: [string, string[]] | null;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
}
export interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}
export interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  fields: { name: string }[];
}
export interface Dmmf {
  datamodel: {
    models: DmmfModel[];
    enums: { name: string; dbName?: string | null; values: { name: string; dbName: string | null }[] }[];
    indexes: DmmfIndex[];
  };
}

export async function loadDmmf(schemaPath = DEFAULT_SCHEMA_PATH): Promise<Dmmf> {
  // prisma-schema-wasm is Prisma's own schema parser (WebAssembly, no native engine needed).
  const wasm = (await import('@prisma/prisma-schema-wasm')) as { get_dmmf(params: string): string };
  const prismaSchema = await readFile(schemaPath, 'utf8');
  return JSON.parse(wasm.get_dmmf(JSON.stringify({ prismaSchema }))) as Dmmf;
}

const SCALAR_TYPES: Record<string, string> = {
  String: 'text',
  Int: 'integer',
  BigInt: 'bigint',
  Boolean: 'boolean',
  DateTime: 'timestamp without time zone',
  Json: 'jsonb',
  Float: 'double precision',
  Decimal: 'numeric',
  Bytes: 'bytea',
};
const NATIVE_TYPES: Record<string, string> = {
  Uuid: 'uuid',
  Timestamptz: 'timestamp with time zone',
  Text: 'text',
  Integer: 'integer',
  SmallInt: 'smallint',
  JsonB: 'jsonb',
};
const ON_DELETE: Record<string, string> = {
  Cascade: 'c',
  Restrict: 'r',
  NoAction: 'a',
  SetNull: 'n',
  SetDefault: 'd',
};

interface Column {
  table: string;
  column: string;
  data_type: string;
  udt_name: string;
  is_nullable: 'YES' | 'NO';
  column_default: string | null;
}
interface IndexRow {
  table: string;
  unique: boolean;
  primary: boolean;
  partial: boolean;
  columns: string[];
}
interface ForeignKeyRow {
  table: string;
  ref_table: string;
  columns: string[];
  ref_columns: string[];
  on_delete: string;
}

/**
 * Compares a migrated database with schema.prisma and lists every difference that would break the
 * generated client: missing tables, columns, wrong types or nullability, missing defaults, enum
 * values, primary keys, unique constraints, indexes and foreign keys. Empty means no drift.
 */
export async function checkDrift(databaseUrl: string, dmmf: Dmmf, schema = 'public'): Promise<string[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // One client runs one query at a time: await them in turn.
    const columns = await client.query<Column>(
      `SELECT table_name AS table, column_name AS column, data_type, udt_name, is_nullable, column_default
         FROM information_schema.columns WHERE table_schema = $1`,
      [schema],
    );
    const indexes = await client.query<IndexRow>(
      `SELECT t.relname AS table, ix.indisunique AS unique, ix.indisprimary AS primary,
                ix.indpred IS NOT NULL AS partial,
                array_agg(a.attname::text ORDER BY k.ord) AS columns
         FROM pg_index ix
         JOIN pg_class t ON t.oid = ix.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
         WHERE n.nspname = $1
         GROUP BY ix.indexrelid, t.relname, ix.indisunique, ix.indisprimary, ix.indpred`,
      [schema],
    );
    const foreignKeys = await client.query<ForeignKeyRow>(
      `SELECT t.relname AS table, r.relname AS ref_table, c.confdeltype AS on_delete,
                array(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, o)
                      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o) AS columns,
                array(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, o)
                      JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.o) AS ref_columns
         FROM pg_constraint c
         JOIN pg_class t ON t.oid = c.conrelid
         JOIN pg_class r ON r.oid = c.confrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE c.contype = 'f' AND n.nspname = $1`,
      [schema],
    );
    const enumLabels = await client.query<{ name: string; label: string }>(
      `SELECT t.typname AS name, e.enumlabel AS label
         FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid
         JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = $1`,
      [schema],
    );
    return compare(dmmf, columns.rows, indexes.rows, foreignKeys.rows, enumLabels.rows);
  } finally {
    await client.end();
  }
}

function compare(
  dmmf: Dmmf,
  columns: Column[],
  indexes: IndexRow[],
  foreignKeys: ForeignKeyRow[],
  enumLabels: { name: string; label: string }[],
): string[] {
  const problems: string[] = [];
  const tableOf = new Map(dmmf.datamodel.models.map((m) => [m.name, m.dbName ?? m.name]));
  const columnOf = (model: DmmfModel, fieldName: string) => {
    const field = model.fields.find((f) => f.name === fieldName);
    return field?.dbName ?? fieldName;
  };
  const columnsByTable = new Map<string, Map<string, Column>>();
  for (const c of columns) {
    if (!columnsByTable.has(c.table)) columnsByTable.set(c.table, new Map());
    columnsByTable.get(c.table)!.set(c.column, c);
  }
  const enumNames = new Map(dmmf.datamodel.enums.map((e) => [e.name, e.dbName ?? e.name]));

  for (const e of dmmf.datamodel.enums) {
    const labels = new Set(enumLabels.filter((l) => l.name === (e.dbName ?? e.name)).map((l) => l.label));
    for (const v of e.values) {
      const label = v.dbName ?? v.name;
      if (!labels.has(label)) problems.push(`enum ${e.name}: value "${label}" missing in database`);
    }
  }

  for (const model of dmmf.datamodel.models) {
    const table = tableOf.get(model.name)!;
    const dbColumns = columnsByTable.get(table);
    if (!dbColumns) {
      problems.push(`model ${model.name}: table "${table}" missing`);
      continue;
    }
    for (const field of model.fields) {
      if (field.kind !== 'scalar' && field.kind !== 'enum') continue;
      const name = field.dbName ?? field.name;
      const column = dbColumns.get(name);
      const where = `${model.name}.${field.name}`;
      if (!column) {
        problems.push(`${where}: column "${table}"."${name}" missing`);
        continue;
      }
      const expected =
        field.kind === 'enum'
          ? enumNames.get(field.type)
          : field.nativeType
            ? NATIVE_TYPES[field.nativeType[0]]
            : SCALAR_TYPES[field.type];
      const actual = field.kind === 'enum' ? column.udt_name : column.data_type;
      if (expected && actual !== expected)
        problems.push(`${where}: type is ${actual}, schema says ${expected}`);
      if (field.isRequired !== (column.is_nullable === 'NO')) {
        problems.push(
          `${where}: ${field.isRequired ? 'nullable in database, required in schema' : 'NOT NULL in database, optional in schema'}`,
        );
      }
      if (needsDatabaseDefault(field) && column.column_default === null) {
        problems.push(`${where}: database has no default, schema has @default`);
      }
    }
    for (const field of model.fields) {
      if (field.kind !== 'object' || !field.relationFromFields?.length) continue;
      const target = dmmf.datamodel.models.find((m) => m.name === field.type)!;
      const cols = field.relationFromFields.map((f) => columnOf(model, f));
      const refCols = (field.relationToFields ?? []).map((f) => columnOf(target, f));
      const fk = foreignKeys.find(
        (k) =>
          k.table === table &&
          k.ref_table === tableOf.get(target.name) &&
          same(k.columns, cols) &&
          same(k.ref_columns, refCols),
      );
      if (!fk)
        problems.push(
          `${model.name}.${field.name}: foreign key (${cols.join(', ')}) → ${target.name} missing`,
        );
      else if (field.relationOnDelete && ON_DELETE[field.relationOnDelete] !== fk.on_delete) {
        problems.push(
          `${model.name}.${field.name}: foreign key ON DELETE differs from ${field.relationOnDelete}`,
        );
      }
    }
  }

  for (const index of dmmf.datamodel.indexes) {
    const model = dmmf.datamodel.models.find((m) => m.name === index.model)!;
    const table = tableOf.get(model.name)!;
    const cols = index.fields.map((f) => columnOf(model, f.name));
    const found = indexes.some(
      (i) =>
        i.table === table &&
        !i.partial &&
        same(i.columns, cols) &&
        (index.type === 'id' ? i.primary : index.type === 'unique' ? i.unique : true),
    );
    if (!found)
      problems.push(
        `${model.name}: ${index.type === 'normal' ? 'index' : index.type} on (${cols.join(', ')}) missing`,
      );
  }
  return problems;
}

function needsDatabaseDefault(field: DmmfField): boolean {
  if (!field.hasDefaultValue) return false;
  // uuid()/cuid() defaults are generated by the client, not the database.
  const d = field.default as { name?: string } | undefined;
  return !(d && typeof d === 'object' && 'name' in d && (d.name === 'uuid' || d.name === 'cuid'));
}

function same(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
