// The public surface of LocalFace (../shared/API.md). Everything else in src/ is internal.
export { createFaceClient } from './client';
export type { FaceClient, FaceClientOptions, DetectFacesOptions, Face, FaceKeypoint, ValidateFaceOptions, ValidateFaceResult } from './client';
export type { FaceQuality, FaceAttributes, FaceLiveness, LivenessCode, ValidationReason } from './face/checks';
export { tensorCount } from './client';
export type {
  Collection, Metadata, EnrollPersonRequest, EnrolledPerson, BulkEnrollResult, BulkEnrollProgress, EnrollPersonsOptions,
  AddFaceRequest, AddedFace, StoredFace, Person, PersonSummary, UpdatePersonRequest, SearchFaceRequest, SearchResult,
  MultiFaceSearchRequest, MultiFaceSearchResult,
} from './collections/persons';
export type { FaceStorageType } from './collections/validate';
export { FaceError } from './errors';
export type { FaceErrorCode } from './errors';
export type { ImageInput, ImageLimits } from './face/input/decode';
export type { HeadPose } from './face/detection/pose';
export type { BackendChoice, BackendName } from './models/backend';
export type { LoadProgress } from './models/modelFiles';
export { version } from './version';
