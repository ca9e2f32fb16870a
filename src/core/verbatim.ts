// Another program's own words, reproduced exactly: a tool's error message as the tool prints it
// (sequelize-cli's "Error parsing url: undefined", TypeORM's "Given data source file must contain …"),
// the operating system's strerror ("No route to host"). They are data about that program, quoted
// in evidence and matched against real output, not db-doctor's sentences: the words contract
// (test/contract/words.test.ts) leaves the argument of verbatim('…') out. db-doctor's own words
// never go through here; they go to src/catalogue/.

/** `text`, unchanged: marks a string literal as another program's words, quoted exactly. */
export function verbatim<const T extends string>(text: T): T {
  return text
}
