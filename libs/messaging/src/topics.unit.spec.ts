import { Admin } from 'kafkajs';
import { ensureTopics, topicSpecs } from './topics';

// The waiting after a creation, on a stub of the admin's three calls. Against a real broker it
// runs in every `npm start` (test/supervisor.e2e.spec.ts) and each service's bootstrap.
const settings = { topicPrefix: 't.', replicationFactor: 1 };
const protocolError = (type: string) => Object.assign(new Error(type), { type, retriable: true });

function admin(answers: Array<Error | number>): Admin & { asked: number } {
  const stub = {
    asked: 0,
    listTopics: async () => [],
    createTopics: async () => true,
    fetchTopicMetadata: async ({ topics }: { topics: string[] }) => {
      const answer = answers[Math.min(stub.asked++, answers.length - 1)];
      if (answer instanceof Error) throw answer;
      return { topics: topics.map((name) => ({ name, partitions: [{ leader: answer }] })) };
    },
  };
  return stub as unknown as Admin & { asked: number };
}

it('waits out a broker that does not know the new topics yet, then until each partition has a leader', async () => {
  const stub = admin([
    protocolError('UNKNOWN_TOPIC_OR_PARTITION'),
    protocolError('LEADER_NOT_AVAILABLE'),
    -1,
    1,
  ]);
  const created = await ensureTopics(stub, settings);
  expect(created).toHaveLength(topicSpecs.length);
  expect(stub.asked).toBe(4);
});

it('gives up at once on any other error', async () => {
  const stub = admin([protocolError('TOPIC_AUTHORIZATION_FAILED')]);
  await expect(ensureTopics(stub, settings)).rejects.toThrow('TOPIC_AUTHORIZATION_FAILED');
  expect(stub.asked).toBe(1);
});
