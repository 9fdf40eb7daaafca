import { Schema, type Connection, type Model } from 'mongoose';
import { newId } from '../ids.js';
import { ITEM_TYPES } from '../bank/item-types.js';
import type { BlueprintCell, BlueprintConstraints, BlueprintSection, BlueprintView } from '../contracts/exams.js';

export type { BlueprintCell, BlueprintConstraints, BlueprintSection } from '../contracts/exams.js';

export const DEFAULT_CONSTRAINTS: BlueprintConstraints = { maxItemOverlap: 0.3, difficultyTolerance: 0.05 };

/** What the assembler needs from a blueprint: the matrix and its targets. */
export type BlueprintSpec = Pick<BlueprintView, 'title' | 'subject' | 'grade' | 'durationMinutes' | 'sections' | 'constraints'>;

export interface Blueprint extends BlueprintSpec {
  _id: string;
  ownerOrgId: string;
  /** Ancestors of the owner organisation, root first, ending with ownerOrgId. */
  orgPath: string[];
  createdBy: string;
  createdAt: Date;
}

const cellSchema = new Schema<BlueprintCell>(
  { topic: { type: String, required: true }, cognitiveLevel: { type: Number, required: true }, count: { type: Number, required: true } },
  { _id: false },
);

const sectionSchema = new Schema<BlueprintSection>(
  {
    title: { type: String, required: true },
    type: { type: String, enum: ITEM_TYPES },
    pointsPerItem: { type: Number },
    shuffleItems: { type: Boolean },
    shuffleOptions: { type: Boolean },
    cells: { type: [cellSchema], default: [] },
  },
  { _id: false },
);

const blueprintSchema = new Schema<Blueprint>(
  {
    _id: { type: String, default: newId },
    title: { type: String, required: true },
    subject: { type: String, required: true },
    grade: { type: Number, required: true },
    durationMinutes: { type: Number },
    sections: { type: [sectionSchema], required: true },
    constraints: {
      maxItemOverlap: { type: Number, required: true },
      difficultyTolerance: { type: Number, required: true },
    },
    ownerOrgId: { type: String, required: true },
    orgPath: { type: [String], required: true, index: true },
    createdBy: { type: String, required: true },
    createdAt: { type: Date, default: () => new Date() },
  },
  { versionKey: false },
);

export type BlueprintModel = Model<Blueprint>;

export function createBlueprintModel(conn: Connection): BlueprintModel {
  return conn.model<Blueprint>('Blueprint', blueprintSchema, 'blueprints');
}
