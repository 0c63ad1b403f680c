// The public surface of LocalFace. Everything else in src/ is internal.
export { createFaceClient } from './client';
export type {
  FaceClient,
  FaceClientOptions,
  FaceCollection,
  InCollection,
  DetectFacesOptions,
  Face,
  FaceKeypoint,
  ValidateFaceOptions,
  ValidateFaceResult,
  CompareFacesResult,
  PersonRequest,
  FaceRequest,
  ListPersonsRequest,
  ListPersonsResult,
} from './client';
export type {
  Collection,
  Metadata,
  EnrollPersonRequest,
  EnrolledPerson,
  BulkEnrollResult,
  BulkEnrollProgress,
  EnrollPersonsOptions,
  AddFaceRequest,
  AddedFace,
  StoredFace,
  Person,
  PersonSummary,
  UpdatePersonRequest,
  SearchFaceRequest,
  SearchResult,
  MultiFaceSearchRequest,
  MultiFaceSearchResult,
  FindLookAlikesRequest,
  FindLookAlikesResult,
  LookAlikePair,
  LookAlikePerson,
  ExportCollectionOptions,
  ImportCollectionOptions,
  ImportConflict,
} from './collections/persons';
export type { FaceStorageType } from './collections/validate';
export type { EncryptionOption } from './vocabulary';
export type {
  ApiKeys,
  ApiKeyInfo,
  ApiKeyLimits,
  ApiKeyUse,
  ApiKeyAllowance,
  CreateApiKeyRequest,
  CreatedApiKey,
} from './collections/apiKeys';
export { createRestHandler } from './rest/handler';
export type { RestHandler, RestHandlerOptions } from './rest/handler';
export { mountRestHandler, serveRestRequests } from './rest/serviceWorker';
export type { MountRestHandlerOptions, ServiceWorkerScope, WorkerClient } from './rest/serviceWorker';
export type {
  FaceQuality,
  FaceAttributes,
  FaceLiveness,
  LivenessCode,
  ValidationReason,
  ValidationCheck,
} from './face/checks';
export type { ImageInput } from './vocabulary';
export type { ImageLimits } from './face/input/limits';
export type {
  FaceTracker,
  FaceTrackerOptions,
  TrackedFace,
  TrackMatch,
  TrackLiveness,
  TrackerTimings,
  TrackerUpdate,
  TrackEnrollRequest,
  VideoFrameInput,
} from './tracker/faceTracker';
export { FaceError } from './errors';
export type { FaceErrorCode } from './errors';
export type { BackendChoice, BackendName } from './models/backend';
export type { LoadProgress } from './vocabulary';
export type { Box, HeadPose, Point } from './vocabulary';
export { version } from './version';
