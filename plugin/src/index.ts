export { protocGenNats } from "./protoc-gen-nats-plugin.js";
