// Which paths (relative to basePath) each seed's API owns. Kept apart from the dialects so that the service worker,
// which forwards only these paths, does not bundle the REST handler.

export const ownsPersonManagementPath = (path: string): boolean =>
  ['person', 'persons', 'collection', 'collections'].includes(path.split('/')[0]!);
export const ownsFaceSearchPath = (path: string): boolean => path === 'face-search' || path === 'multi-face-search';
export const ownsUsersPath = (path: string): boolean => path === 'users' || path.startsWith('users/');
export const ownsEnrollFacePath = (path: string): boolean => path === 'enroll-face';
export const ownsFaceSetPath = (path: string): boolean => path === 'faceset' || path.startsWith('faceset/');

/** Whether some seed's API owns `path`: the service worker forwards these and lets every other request through. */
export function isRestPath(path: string): boolean {
  return [ownsPersonManagementPath, ownsFaceSearchPath, ownsUsersPath, ownsEnrollFacePath, ownsFaceSetPath].some(
    (owns) => owns(path),
  );
}
