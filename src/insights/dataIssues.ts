/**
 * The Problems panel's data check, apart from VS Code (so it is tested as it runs): an experiment's
 * text validated with its data files read as `fmtl validate` reads them (`data/dataFacts.ts`,
 * checked by `shared/dataChecks.ts`), through the panel's cache, and only inside the folders a run
 * may read without asking.
 */
import * as path from 'node:path';
import { parseExperiment, type ExperimentIssue } from '../shared/experiment';
import type { DataAccess } from '../shared/trainerProtocol';
import { dataPathOptions } from '../data/dataPath';
import { dataReader, type DataFactsCache } from '../data/dataFacts';
import { mayReadFor } from '../data/dataPaths';

/** Every issue of the experiment text of `file`, its data's included. `isFile`: the existence check (the panel's is cached). */
export function experimentIssuesWithData(text: string, file: string, opts: { cache: DataFactsCache; access: DataAccess; isFile?: (abs: string) => boolean }): ExperimentIssue[] {
  const base = path.dirname(file);
  const reader = dataReader(base, { cache: opts.cache, mayRead: mayReadFor(file, opts.access) });
  return parseExperiment(text, { ...dataPathOptions(base, opts.isFile), readData: reader }).errors;
}
