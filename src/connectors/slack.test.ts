import { describeFixtures } from '../../test/connectors/fixture-runner.js';

describeFixtures('slack');
