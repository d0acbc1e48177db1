/** Something a person should know about, as a condition reason (CamelCase) and a message. */
export interface Problem {
  reason: string;
  message: string;
}
