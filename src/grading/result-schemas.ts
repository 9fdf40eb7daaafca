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
  adaptive: { type: 'object', description: 'Adaptive exams: the ability estimate θ and its standard error (logits), the operational items answered and the stopping rule that ended the test; score and maxScore are then score10 on 10', properties: { theta: { type: 'number' }, se: { type: 'number' }, length: { type: 'integer' }, stop: { type: ['string', 'null'] } } },
} as const;
