// The kiosk and the check-in PWA share one IndexedDB database and collection (same origin in demo-dist/), so people
// enrolled at the kiosk can check in offline.
export const DATABASE = 'localface-demo';
export const COLLECTION = 'people';
