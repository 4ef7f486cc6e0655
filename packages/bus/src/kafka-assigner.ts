// The partition assigner of aob's consumer groups: partition p of every topic a group reads goes
// to the same member. A run's messages are keyed by its id, so they sit on the same partition
// number of each topic of equal partition count (results and commands, the three job topics):
// with this assignment one orchestrator owns all of a run's results and commands, and nothing
// else decides it while the assignment holds. (kafkajs's round-robin assigner deals the
// partitions of all topics out in one sequence, which splits a run's results from its commands
// whenever the member count does not divide the partition count.)
//
// Members are sorted by id and partition p goes to member p mod n, among the members that read
// the topic. Topics read together must have the same partition count for the rule to keep a run
// in one place; the deployment creates them so.
import type { PartitionAssigner } from 'kafkajs';
import { kafkajs } from './client-libraries.js';

export const CO_PARTITION_ASSIGNER = 'AobCoPartitionAssigner';

export const coPartitionAssigner: PartitionAssigner = ({ cluster }) => ({
  name: CO_PARTITION_ASSIGNER,
  version: 0,
  async assign({ members, topics }) {
    const { MemberMetadata, MemberAssignment } = kafkajs().AssignerProtocol;
    const readers = new Map<string, string[]>();
    for (const m of members) {
      for (const topic of MemberMetadata.decode(m.memberMetadata)?.topics ?? []) {
        const list = readers.get(topic);
        if (list) list.push(m.memberId);
        else readers.set(topic, [m.memberId]);
      }
    }
    const assignment = new Map<string, Record<string, number[]>>(
      members.map((m) => [m.memberId, Object.create(null) as Record<string, number[]>]),
    );
    for (const topic of topics) {
      const eligible = (readers.get(topic) ?? members.map((m) => m.memberId)).sort();
      if (eligible.length === 0) continue;
      const partitions = cluster
        .findTopicPartitionMetadata(topic)
        .map((p) => p.partitionId)
        .sort((a, b) => a - b);
      for (const p of partitions) {
        const owner = assignment.get(eligible[p % eligible.length]!)!;
        (owner[topic] ??= []).push(p);
      }
    }
    return [...assignment].map(([memberId, topicsOf]) => ({
      memberId,
      memberAssignment: MemberAssignment.encode({
        version: 0,
        assignment: topicsOf,
        userData: Buffer.alloc(0),
      }),
    }));
  },
  protocol({ topics }) {
    return {
      name: CO_PARTITION_ASSIGNER,
      metadata: kafkajs().AssignerProtocol.MemberMetadata.encode({
        version: 0,
        topics,
        userData: Buffer.alloc(0),
      }),
    };
  },
});
