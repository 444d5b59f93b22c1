// A worker in its own process, killed with SIGKILL by worker-kill.test.ts while it runs an activity.
import { NativeConnection, Worker, Runtime, DefaultLogger, makeTelemetryFilterString } from '@temporalio/worker';
import { readFileSync } from 'node:fs';

const [address, bundlePath, taskQueue] = process.argv.slice(2) as [string, string, string];
Runtime.install({
  logger: new DefaultLogger('ERROR'),
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
});
const connection = await NativeConnection.connect({ address });
const worker = await Worker.create({
  connection,
  taskQueue,
  workflowBundle: { code: readFileSync(bundlePath, 'utf8') },
  stickyQueueScheduleToStartTimeout: '1s',
  activities: {
    async hang(): Promise<string> {
      process.stdout.write('ACTIVITY_STARTED\n');
      return await new Promise<string>(() => undefined);
    },
  },
});
process.stdout.write('WORKER_READY\n');
await worker.run();
