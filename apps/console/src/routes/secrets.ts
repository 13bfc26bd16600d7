import type { FastifyInstance } from 'fastify';
import { rotateSecrets } from '@syncfleet/sync';
import type { RouteDeps } from '../types';

/**
 * `POST /api/secrets/rotate`: re-seals every profile secret under the newest key in SECRET_KEYS
 * (the first one), so older keys can be removed afterwards. Idempotent. Lists the profiles whose
 * secret could not be opened (their key is not configured): re-enter those secrets.
 */
export function secretRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.post('/api/secrets/rotate', async (request) => {
    const result = await rotateSecrets(deps.prisma, deps.secretBox);
    request.log.info(
      { rotated: result.rotated, current: result.current, unreadable: result.unreadable.length },
      'profile secrets rotated',
    );
    return { currentKeyId: deps.secretBox.currentKeyId, ...result };
  });
}
