// The scene the tracker-cost tools play, set up in the e2e harness page (run it with page.evaluate: it is
// serialised, so it uses nothing from this module's scope): a client (WASM) with Subject Six enrolled in the
// collection 'cost', a tracker with liveness, and window.scene.frame(i), which draws frame i of a 100-frame loop
// (Subject Six 40 frames, nobody 10, a stranger 40, nobody 10; a few pixels of movement) on a 640×480 canvas.
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
  const g = canvas.getContext('2d');
  const script = [
    ...Array(40).fill('subject06-later'),
    ...Array(10).fill(null),
    ...Array(40).fill('subject14'),
    ...Array(10).fill(null),
  ];
  const tracker = client.createFaceTracker({ collectionName: 'cost', liveness: true });
  window.scene = {
    tracker,
    frame(i) {
      const who = script[i % script.length];
      g.fillStyle = '#808080';
      g.fillRect(0, 0, 640, 480);
      if (who) g.drawImage(bitmaps[who], (i % 5) * 2 - 4, (i % 3) * 2 - 2, 640, 480);
      return canvas;
    },
    async close() {
      tracker.close();
      await client.deleteCollection('cost');
      await client.close();
    },
  };
}
