// npm test's compose step, run before the main suites so it has both cores to itself: the Docker
// engine, the stand-in images and the project's image, each a named step with a budget and a
// progress line; then the engine is stopped again (it changes the host's network while it runs).
// test/compose/stack.e2e.ts finds everything built in the engine's state (.data/docker).
import { startEngine } from './compose-engine.ts';
import { APP_IMAGE, buildAppImage, buildStandIns } from './stand-in-images.ts';
import { progress, step } from './step.ts';

const engine = await step('images', 'Docker engine (installed from Debian when missing)', 10 * 60_000, (signal) =>
  startEngine(signal),
);
try {
  const images = await buildStandIns(engine);
  await buildAppImage(engine, images.NODE_IMAGE);
  progress('images', `ready: ${[...Object.values(images), APP_IMAGE].join(', ')}`);
} finally {
  await engine.stop();
}
