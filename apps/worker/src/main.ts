// First: the OpenTelemetry SDK starts before anything else is loaded.
import './instrument';
import { runMain } from '@syncfleet/telemetry';
import { runWorker } from './run';

runMain('worker', () => runWorker());
