import type { FastifyInstance } from 'fastify';
import type { Task } from '@syncfleet/db';
import {
  createTask,
  deleteTask,
  RecordNotFoundError,
  updateTask,
  VersionMismatchError,
} from '@syncfleet/sync';
import { notFound, parse } from '../errors';
import { uuidParam } from '../schemas';
import type { RouteDeps } from '../types';
import { actListQuery, taskCreateSchema, taskUpdateSchema } from './act-schemas';
import type { linkView } from './act-common';
import {
  ifMatchVersion,
  linksOf,
  ownerFilter,
  preconditionFailed,
  syncOwnerNow,
  withEtag,
} from './act-common';

const iso = (d: Date | null) => d?.toISOString() ?? null;
const date = (v: string | null | undefined) =>
  v === undefined ? undefined : v === null ? null : new Date(v);

function taskView(t: Task, links: ReturnType<typeof linkView>[]) {
  return {
    id: t.id,
    version: t.version,
    owner: { type: t.ownerType, id: t.ownerId },
    subject: t.subject,
    body: t.body,
    status: t.status,
    importance: t.importance,
    startAt: iso(t.startAt),
    dueAt: iso(t.dueAt),
    reminderAt: iso(t.reminderAt),
    completedAt: iso(t.completedAt),
    categories: t.categories,
    regarding: t.regardingType && t.regardingId ? { type: t.regardingType, id: t.regardingId } : null,
    changeSequence: t.changeSeq.toString(),
    exchange: links,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  };
}

function mapped(error: unknown): never {
  if (error instanceof VersionMismatchError) throw preconditionFailed(error.message);
  if (error instanceof RecordNotFoundError) throw notFound('Task', error.id);
  throw error;
}

function taskInput<
  T extends {
    startAt?: string | null;
    dueAt?: string | null;
    reminderAt?: string | null;
    completedAt?: string | null;
  },
>(body: T) {
  return {
    ...body,
    startAt: date(body.startAt),
    dueAt: date(body.dueAt),
    reminderAt: date(body.reminderAt),
    completedAt: date(body.completedAt),
  };
}

/** Application tasks (synced with their owner's To Do list by ACT: docs/act-sync.md). */
export function taskRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { prisma } = deps;
  const links = async (id: string) => (await linksOf(deps, 'task', [id]))(id);

  app.get('/api/tasks', async (request) => {
    const query = parse(actListQuery, request.query);
    const owner = await ownerFilter(deps, query);
    const rows = await prisma.task.findMany({
      where: { deletedAt: null, ...owner, ...(query.after ? { id: { gt: query.after } } : {}) },
      orderBy: { id: 'asc' },
      take: query.limit ?? 100,
    });
    const linked = await linksOf(
      deps,
      'task',
      rows.map((r) => r.id),
    );
    return { tasks: rows.map((r) => taskView(r, linked(r.id))), next: rows.at(-1)?.id ?? null };
  });

  app.post('/api/tasks', async (request, reply) => {
    const { owner, ...body } = parse(taskCreateSchema, request.body);
    const task = await createTask(prisma, { ownerType: owner.type, ownerId: owner.id }, taskInput(body));
    await syncOwnerNow(deps, request, task);
    return reply.status(201).send(withEtag(reply, taskView(task, [])));
  });

  app.get('/api/tasks/:id', async (request, reply) => {
    const { id } = parse(uuidParam, request.params);
    const task = await prisma.task.findFirst({ where: { id, deletedAt: null } });
    if (!task) throw notFound('Task', id);
    return withEtag(reply, taskView(task, await links(id)));
  });

  app.patch('/api/tasks/:id', async (request, reply) => {
    const { id } = parse(uuidParam, request.params);
    const { owner, ...body } = parse(taskUpdateSchema, request.body);
    const version = ifMatchVersion(request);
    const task = await updateTask(
      prisma,
      id,
      { ...taskInput(body), ...(owner ? { owner: { ownerType: owner.type, ownerId: owner.id } } : {}) },
      version,
    ).catch(mapped);
    await syncOwnerNow(deps, request, task);
    return withEtag(reply, taskView(task, await links(id)));
  });

  app.delete('/api/tasks/:id', async (request, reply) => {
    const { id } = parse(uuidParam, request.params);
    const version = ifMatchVersion(request);
    const before = await prisma.task.findFirst({ where: { id, deletedAt: null } });
    await deleteTask(prisma, id, version).catch(mapped);
    if (before) await syncOwnerNow(deps, request, before);
    return reply.status(204).send();
  });
}
