import type { MailboxGraph } from '@syncfleet/graph';
import { classifyError } from '../engine/classify';

export interface FetchedAttachment {
  name: string;
  contentType: string;
  size: number;
  /** Null when over the size limit (skipped) or not a file attachment (item/reference). */
  content: Buffer | null;
  skipped: boolean;
}

const FILE = '#microsoft.graph.fileAttachment';

interface GraphAttachment {
  '@odata.type'?: string;
  id?: string;
  name?: string;
  contentType?: string;
  size?: number;
  contentBytes?: string;
}

const notFound = (e: unknown) => classifyError(e).reason === 'NotFound';

/**
 * A message's attachments: metadata for all, content for file attachments up to `maxBytes`
 * (attachment: get / message: list attachments). The list is asked without content; a file small
 * enough is then read on its own — unless the list already carried its bytes (the simulator does).
 * A message deleted meanwhile has no attachments to fetch.
 */
export async function fetchAttachments(
  graph: MailboxGraph,
  userPath: string,
  graphId: string,
  maxBytes: number,
): Promise<FetchedAttachment[]> {
  const base = `${userPath}/messages/${encodeURIComponent(graphId)}/attachments`;
  let listed: GraphAttachment[];
  try {
    const page = (await graph.api(`${base}?$select=id,name,contentType,size,isInline`).get()) as {
      value?: GraphAttachment[];
    };
    listed = page.value ?? [];
  } catch (error) {
    if (notFound(error)) return [];
    throw error;
  }
  const out: FetchedAttachment[] = [];
  for (const a of listed) {
    const meta = {
      name: a.name ?? 'attachment',
      contentType: a.contentType ?? 'application/octet-stream',
      size: typeof a.size === 'number' ? a.size : 0,
    };
    if (a['@odata.type'] !== undefined && a['@odata.type'] !== FILE) {
      out.push({ ...meta, content: null, skipped: false });
      continue;
    }
    if (meta.size > maxBytes) {
      out.push({ ...meta, content: null, skipped: true });
      continue;
    }
    let bytes = a.contentBytes;
    if (bytes === undefined && a.id) {
      try {
        const full = (await graph.api(`${base}/${encodeURIComponent(a.id)}`).get()) as GraphAttachment;
        bytes = full.contentBytes;
      } catch (error) {
        if (notFound(error)) return [];
        throw error;
      }
    }
    const content = Buffer.from(bytes ?? '', 'base64');
    // The size Graph reports includes MIME overhead; the limit applies to what we store.
    if (content.length > maxBytes) out.push({ ...meta, content: null, skipped: true });
    else out.push({ ...meta, content, skipped: false });
  }
  return out;
}
