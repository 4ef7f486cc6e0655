// The validator's composition root (ARCHITECTURE §7): the patch validator of @aob/core served over gRPC
// as aob.v1.Validator on AOB_VALIDATOR_PORT (default 50052). Orchestrators given AOB_VALIDATOR_URL
// ask it about every proposal before deciding. Pure: it holds no store and no bus, so any number
// of replicas can stand behind one address.
import type { Adapters, Component, ServiceConfig } from '@aob/engine';
import type { GrpcServer } from '@aob/control';
import { aobErrorMapper, register, serveGrpc, Validator, validatorHandlers } from '@aob/control';

export async function startValidator(
  config: ServiceConfig,
  _adapters?: Adapters,
): Promise<Component> {
  let server: GrpcServer;
  try {
    server = await serveGrpc([register(Validator, validatorHandlers(), aobErrorMapper)], {
      port: config.validatorPort,
    });
  } catch (err) {
    throw new Error(
      `validator: cannot listen on AOB_VALIDATOR_PORT ${config.validatorPort}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  let stopping = false;
  return {
    name: 'validator',
    ready: () => !stopping,
    // Graceful: calls in hand finish (their verdicts are pure and quick), new ones are refused.
    stop: async () => {
      stopping = true;
      await server.stop();
    },
  };
}
