// The scene the tracker-cost tools play, set up in the e2e harness page (run it with page.evaluate: it is
// serialised, so it uses nothing from this module's scope): a client (WASM) with Subject Six enrolled in the
// collection 'cost', a tracker with liveness, and window.scene.frame(i), which draws frame i of a 100-frame loop
// (Subject Six 40 frames, nobody 10, a stranger 40, nobody 10; a few pixels of movement) on a 640×480 canvas
// (window.scene.drawOn(canvas, i): on a canvas of another size; window.scene.client: for trackers of other options).
export async function setUpScene(databaseName) {
  const client = await window.LocalFace.createFaceClient({ backend: 'wasm', databaseName });
  if ((await client.listCollections()).some((c) => c.name === 'cost')) await client.deleteCollection('cost');
  await client.createCollection('cost');
  await client.enrollPerson({
    collectionName: 'cost',
    personId: 's06',
    personName: 'Subject Six',
    face: await window.fixture('camera/subject06-enroll.jpg'),
  });
  const bitmaps = {};
  for (const name of ['subject06-later', 'subject14'])
    bitmaps[name] = await createImageBitmap(new Blob([await window.fixture(`camera/${name}.jpg`)]));
  const canvas = new OffscreenCanvas(640, 480);
  const script = [
    ...Array(40).fill('subject06-later'),
    ...Array(10).fill(null),
    ...Array(40).fill('subject14'),
    ...Array(10).fill(null),
  ];
  const tracker = client.createFaceTracker({ collectionName: 'cost', liveness: true });
  /** Frame i drawn on `target` (any size: the 4:3 picture fitted to its height, centred, moved as at 640×480). */
  const drawOn = (target, i) => {
    const { width, height } = target;
    const gt = target.getContext('2d');
    const who = script[i % script.length];
    gt.fillStyle = '#808080';
    gt.fillRect(0, 0, width, height);
    const w = (height * 4) / 3,
      scale = height / 480;
    if (who)
      gt.drawImage(bitmaps[who], (width - w) / 2 + ((i % 5) * 2 - 4) * scale, ((i % 3) * 2 - 2) * scale, w, height);
    return target;
  };
  window.scene = {
    client,
    tracker,
    drawOn,
    frame: (i) => drawOn(canvas, i),
    async close() {
      tracker.close();
      await client.deleteCollection('cost');
      await client.close();
    },
  };
}
