// Seed 003, face search: POST face-search (1:N) and POST multi-face-search (N:N). Auth: x-api-key.
// Errors: { code, message }. Scores are the client's calibrated similarity in [0, 1].
import type { Dialect, RestContext, Route } from './context';
import { Fields } from './context';
import { codeMessageErrors } from './codeMessage';
import { jsonResponse } from './http';
import { collectionField } from './personManagement';
import { ownsFaceSearchPath } from './paths';
import { DEFAULT_MATCH_THRESHOLD } from '../vocabulary';

export const faceSearch: Dialect = {
  name: '003 face search',
  owns: ownsFaceSearchPath,
  routes: [
    { method: 'POST', pattern: 'face-search', handle: search },
    { method: 'POST', pattern: 'multi-face-search', handle: multiSearch },
  ] satisfies Route[],
  ...codeMessageErrors,
};

interface Hit {
  personId: string;
  personName: string;
  metadata: Record<string, unknown>;
  faceBase64: string;
  similarityScore: number;
}

function hitBody(h: Hit) {
  return {
    face_base_64: h.faceBase64,
    metadata: h.metadata,
    person_id: h.personId,
    person_name: h.personName,
    similarity_score: h.similarityScore,
  };
}

async function search(context: RestContext): Promise<Response> {
  const fields = new Fields(await context.body());
  const collectionName = collectionField(context, fields);
  const face = fields.string('face_base_64', { required: true });
  const checkLiveness = fields.boolean('check_liveness', false);
  const minSimilarityScore = fields.number('min_similarity_score', DEFAULT_MATCH_THRESHOLD, 0, 1);
  const maxResults = fields.integer('max_results', 1, 1, 1000);
  const hits = await context.client.searchFace({ collectionName, face, checkLiveness, minSimilarityScore, maxResults });
  return jsonResponse(200, hits.map(hitBody));
}

async function multiSearch(context: RestContext): Promise<Response> {
  const fields = new Fields(await context.body());
  const collectionName = collectionField(context, fields);
  const image = fields.string('multi_face_img_base_64', { required: true });
  const minSimilarityScore = fields.number('min_similarity_score', DEFAULT_MATCH_THRESHOLD, 0, 1);
  const result = await context.client.multiFaceSearch({ collectionName, image, minSimilarityScore });
  return jsonResponse(200, {
    person_search_results: result.personSearchResults.map((h) => ({
      person_id: h.personId,
      person_name: h.personName,
      metadata: h.metadata,
      face_base_64: h.faceBase64,
      similarity_score: h.similarityScore,
    })),
    unrecognized_face_thumbnails_base_64: result.unrecognizedFaceThumbnailsBase64,
  });
}
