import { runMain } from '@syncfleet/telemetry';
import { runWorker } from './run';

runMain('worker', () => runWorker());
