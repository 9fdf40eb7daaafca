/** The fields of a graded attempt's result that every result answer carries (response schema properties). */
export const resultProperties = {
  attemptId: { type: 'string' },
  examId: { type: 'string' },
  candidateId: { type: 'string' },
  studentId: { type: ['string', 'null'] },
  formCode: { type: 'string' },
  score: { type: 'number' },
  maxScore: { type: 'number' },
  score10: { type: 'number' },
  status: { type: 'string' },
  gradedAt: { type: 'string' },
  version: { type: 'integer' },
} as const;
