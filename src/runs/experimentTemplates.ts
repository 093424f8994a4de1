/**
 * The New-experiment command's templates, one per kind of data: the sample experiment it copies and
 * the sample data file that goes beside it (SLU has none: the user picks a data folder). Pure, so
 * a test checks every template against its files. Files are in the extension's `samples/`.
 */
export interface ExperimentTemplate {
  id: 'csv' | 'slu' | 'jsonl' | 'conll';
  /** Quick-pick label and description. */
  label: string;
  description: string;
  /** The template experiment. */
  experiment: string;
  /** Its data file (`data.path` of the template), copied beside a new experiment; absent for SLU. */
  data?: string;
  /** The name the prompt proposes. */
  name: string;
}

export const TEMPLATES: readonly ExperimentTemplate[] = [
  {
    id: 'csv', label: 'Tabular (CSV)', description: 'penguins: species + sex + body mass, MLP encoder',
    experiment: 'penguins.fmtl.json', data: 'penguins.csv', name: 'my-experiment',
  },
  {
    id: 'slu', label: 'Text (SLU folders)', description: 'intent + slots with feedback both ways, BiGRU encoder (train/valid/test with seq.in, seq.out, label)',
    experiment: 'snips.fmtl.json', name: 'my-slu-experiment',
  },
  {
    id: 'jsonl', label: 'Text or tabular (JSONL)', description: 'one JSON object per line: {"text", "intent", "slots"}; intent + slots, BiGRU encoder, with a 40-sentence sample file',
    experiment: 'intents-jsonl.fmtl.json', data: 'intents.jsonl', name: 'my-jsonl-experiment',
  },
  {
    id: 'conll', label: 'Text (CoNLL columns)', description: "one 'token tag' line per word, blank line between sentences, '# intent = ...'; intent + slots, BiGRU encoder, with a 40-sentence sample file",
    experiment: 'intents-conll.fmtl.json', data: 'intents.conll', name: 'my-conll-experiment',
  },
];
