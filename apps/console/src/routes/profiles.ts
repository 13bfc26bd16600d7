import type { FastifyInstance } from 'fastify';
import { Prisma } from '@syncfleet/db';
import { endpointProblem } from '@syncfleet/graph';
import { conflict, notFound, parse, validationError, type FieldError } from '../errors';
import { profileCreateSchema, profileListQuery, profileUpdateSchema, toDate, uuidParam } from '../schemas';
import { profileView } from '../serialize';
import { mergeActSettings } from '../act-settings';
import type { RouteDeps } from '../types';

const SECRET_BOUND_FIELDS = ['tenantId', 'clientId', 'authorityUrl', 'graphBaseUrl'] as const;

/** Email server profiles: one Microsoft 365 tenant + app registration each. */
export function profileRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { prisma, secretBox } = deps;

  async function findProfile(id: string) {
    const profile = await prisma.emailServerProfile.findUnique({ where: { id } });
    if (!profile) throw notFound('Email server profile', id);
    return profile;
  }

  async function assertNameFree(name: string, exceptId?: string) {
    const other = await prisma.emailServerProfile.findUnique({ where: { name }, select: { id: true } });
    if (other && other.id !== exceptId)
      throw conflict(`An email server profile named "${name}" already exists (${other.id}).`);
  }

  /** Only Microsoft's endpoints, or hosts the deployment allows: the secret is sent there. */
  function assertEndpointsAllowed(fields: { authorityUrl?: string; graphBaseUrl?: string }) {
    const problems: FieldError[] = [];
    for (const [path, kind] of [
      ['authorityUrl', 'authority'],
      ['graphBaseUrl', 'graph'],
    ] as const) {
      const url = fields[path];
      const message = url === undefined ? undefined : endpointProblem(url, kind, deps.graphAllowedHosts);
      if (message) problems.push({ path, message });
    }
    if (problems.length) throw validationError(problems);
  }

  /** Owner-notification settings: the sender mailbox exists; a webhook has a signing secret. */
  async function notificationData(
    fields: { notificationMailboxId?: string | null; webhookUrl?: string | null },
    webhookSecret: string | undefined,
    hasStoredSecret: boolean,
  ) {
    if (fields.notificationMailboxId) {
      const mailbox = await prisma.mailbox.findUnique({
        where: { id: fields.notificationMailboxId },
        select: { id: true },
      });
      if (!mailbox)
        throw validationError([{ path: 'notificationMailboxId', message: 'no mailbox has this id' }]);
    }
    if (fields.webhookUrl && webhookSecret === undefined && !hasStoredSecret)
      throw validationError([
        { path: 'webhookSecret', message: 'is required with a webhookUrl (it signs the body)' },
      ]);
    if (webhookSecret === undefined) return {};
    const sealed = secretBox.seal(webhookSecret);
    return { webhookSecretCiphertext: sealed.ciphertext, webhookSecretKeyId: sealed.keyId };
  }

  app.post('/api/profiles', async (request, reply) => {
    const { clientSecret, processEmailFrom, webhookSecret, actSettings, ...fields } = parse(
      profileCreateSchema,
      request.body,
    );
    assertEndpointsAllowed(fields);
    await assertNameFree(fields.name);
    const webhook = await notificationData(fields, webhookSecret, false);
    const sealed = secretBox.seal(clientSecret);
    const profile = await prisma.emailServerProfile.create({
      data: {
        ...fields,
        ...webhook,
        processEmailFrom: toDate(processEmailFrom),
        ...(actSettings && { actSettings: mergeActSettings({}, actSettings) }),
        clientSecretCiphertext: sealed.ciphertext,
        clientSecretKeyId: sealed.keyId,
      },
    });
    request.log.info({ profileId: profile.id }, 'email server profile created');
    return reply.status(201).send(profileView(profile));
  });

  app.get('/api/profiles', async (request) => {
    const { limit, offset } = parse(profileListQuery, request.query);
    const [items, total] = await Promise.all([
      prisma.emailServerProfile.findMany({ orderBy: { name: 'asc' }, take: limit, skip: offset }),
      prisma.emailServerProfile.count(),
    ]);
    return { items: items.map(profileView), total, limit, offset };
  });

  app.get('/api/profiles/:id', async (request) => {
    const { id } = parse(uuidParam, request.params);
    return profileView(await findProfile(id));
  });

  app.patch('/api/profiles/:id', async (request) => {
    const { id } = parse(uuidParam, request.params);
    const { clientSecret, processEmailFrom, webhookSecret, actSettings, ...fields } = parse(
      profileUpdateSchema,
      request.body ?? {},
    );
    const current = await findProfile(id);
    const webhook = await notificationData(
      { ...fields, webhookUrl: fields.webhookUrl === undefined ? current.webhookUrl : fields.webhookUrl },
      webhookSecret,
      current.webhookSecretCiphertext !== null,
    );
    assertEndpointsAllowed(fields);
    // Where the secret goes and whom it is for: changing any of these without presenting the secret
    // again would let someone who cannot read the secret have it sent to a host of their choosing.
    const retargeted = SECRET_BOUND_FIELDS.filter((f) => fields[f] !== undefined && fields[f] !== current[f]);
    if (retargeted.length && clientSecret === undefined)
      throw validationError([
        {
          path: 'clientSecret',
          message: `is required when changing ${retargeted.join(', ')} (the secret is only ever sent to the profile's endpoints)`,
        },
      ]);
    if (fields.name !== undefined) await assertNameFree(fields.name, id);
    const data: Prisma.EmailServerProfileUpdateInput = {
      ...fields,
      ...webhook,
      processEmailFrom: toDate(processEmailFrom),
    };
    if (clientSecret !== undefined) {
      // A new secret is sealed with the current key (which also rotates an old key id away).
      const sealed = secretBox.seal(clientSecret);
      data.clientSecretCiphertext = sealed.ciphertext;
      data.clientSecretKeyId = sealed.keyId;
    }
    const profile = await prisma.$transaction(async (tx) => {
      if (actSettings) {
        // A partial actSettings merges into what is stored now: the row is locked from this read
        // to the write, so two admins changing different keys at once both keep their change.
        const [row] = await tx.$queryRaw<{ actSettings: unknown }[]>(
          Prisma.sql`SELECT "actSettings" FROM "EmailServerProfile" WHERE "id" = ${id}::uuid FOR UPDATE`,
        );
        if (!row) throw notFound('Email server profile', id);
        data.actSettings = mergeActSettings(row.actSettings, actSettings);
      }
      return tx.emailServerProfile.update({ where: { id }, data });
    });
    request.log.info(
      {
        profileId: id,
        changed: Object.keys(fields)
          .concat(actSettings === undefined ? [] : ['actSettings'])
          .concat(clientSecret === undefined ? [] : ['clientSecret'])
          .concat(webhookSecret === undefined ? [] : ['webhookSecret']),
      },
      'email server profile updated',
    );
    return profileView(profile);
  });

  app.delete('/api/profiles/:id', async (request, reply) => {
    const { id } = parse(uuidParam, request.params);
    await findProfile(id);
    const mailboxes = await prisma.mailbox.count({ where: { profileId: id } });
    if (mailboxes > 0)
      throw conflict(
        `The profile is used by ${mailboxes} mailbox(es); move or delete them before deleting the profile.`,
      );
    await prisma.emailServerProfile.delete({ where: { id } });
    request.log.info({ profileId: id }, 'email server profile deleted');
    return reply.status(204).send();
  });
}
