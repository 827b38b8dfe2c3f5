export { type LogRecord, RecordingLogger } from "./recording-logger.js";
