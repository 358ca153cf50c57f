import { Message, Producer, TopicMessages } from 'kafkajs';

/**
 * Below the broker's default `message.max.bytes` (1 MiB), which bounds a whole record batch:
 * kafkajs sends each partition's messages of one request as one batch, and a batch over the
 * limit is refused, so a consumer that sends what it read would retry that batch forever.
 */
export const maxRequestBytes = 512 * 1024;

const sizeOf = (message: Message) =>
  (message.value ? Buffer.byteLength(message.value as string | Buffer) : 0) +
  (message.key ? Buffer.byteLength(message.key as string | Buffer) : 0) +
  64;

/**
 * Sends `topicMessages` as several requests of at most `maxBytes` each, one after another, so
 * each partition's messages keep their order. A message larger than `maxBytes` goes alone.
 */
export async function sendInChunks(
  producer: Producer,
  topicMessages: TopicMessages[],
  options: { acks?: number; maxBytes?: number } = {},
): Promise<void> {
  const maxBytes = options.maxBytes ?? maxRequestBytes;
  let chunk: TopicMessages[] = [];
  let bytes = 0;
  const flush = async () => {
    if (chunk.length === 0) return;
    await producer.sendBatch({ topicMessages: chunk, acks: options.acks ?? -1 });
    chunk = [];
    bytes = 0;
  };
  for (const { topic, messages } of topicMessages) {
    for (const message of messages) {
      const size = sizeOf(message);
      if (bytes + size > maxBytes) await flush();
      const last = chunk[chunk.length - 1];
      if (last?.topic === topic) last.messages.push(message);
      else chunk.push({ topic, messages: [message] });
      bytes += size;
    }
  }
  await flush();
}
