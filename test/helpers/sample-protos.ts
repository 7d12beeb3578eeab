import type { ProtoFiles } from "./run-plugin.js";

/**
 * Protos with every shape the plugin has to get right, for the plugin tests:
 * - two services in one file (`shop/v1/orders.proto`), and services in several files;
 * - comments on services and methods, on one line and on several, one containing `*` + `/`;
 * - messages from another file of the package and from another package (`acme/common/v1`);
 * - a nested message of another package (`acme.common.v1.Money.Currency`);
 * - the well-known types `google.protobuf.Empty` and `google.protobuf.Timestamp`;
 * - methods named like JavaScript reserved words and built-in properties (`Admin`);
 * - a service mixing unary and streaming methods, a service with only streaming methods (every
 *   kind) and a service with no methods (`shop/v1/feed.proto`);
 * - a file without services (`shop/v1/types.proto`).
 */
export const sampleProtos: ProtoFiles = {
  "acme/common/v1/money.proto": `syntax = "proto3";

// Types shared across packages.
package acme.common.v1;

// An amount of money.
message Money {
  // A currency, nested in Money.
  message Currency {
    string code = 1;
  }
  Currency currency = 1;
  int64 units = 2;
}
`,
  "shop/v1/orders.proto": `syntax = "proto3";

// The orders of the shop.
package shop.v1;

import "acme/common/v1/money.proto";
import "google/protobuf/empty.proto";
import "google/protobuf/timestamp.proto";

// Orders takes orders
// and tells what they cost.
service Orders {
  // Place takes an order and returns its price.
  rpc Place(PlaceRequest) returns (acme.common.v1.Money);

  // Currency returns the currency of a price: a nested message of another package.
  // It never fails.
  rpc Currency(acme.common.v1.Money) returns (acme.common.v1.Money.Currency);

  // Now returns the shop's clock; a comment that closes */ early must not end the JSDoc.
  rpc Now(google.protobuf.Empty) returns (google.protobuf.Timestamp);
}

// Admin has methods named like JavaScript reserved words and built-in properties.
service Admin {
  rpc Delete(google.protobuf.Empty) returns (google.protobuf.Empty);
  rpc Class(google.protobuf.Empty) returns (google.protobuf.Empty);
  rpc Function(google.protobuf.Empty) returns (google.protobuf.Empty);
  rpc Constructor(google.protobuf.Empty) returns (google.protobuf.Empty);
  rpc ToString(google.protobuf.Empty) returns (google.protobuf.Empty);
}

message PlaceRequest {
  string item = 1;
  uint32 quantity = 2;
}
`,
  "shop/v1/catalog.proto": `syntax = "proto3";

package shop.v1;

import "shop/v1/orders.proto";
import "shop/v1/types.proto";

// Catalog prices orders before they are placed.
service Catalog {
  // Price lists what an order would cost.
  rpc Price(PlaceRequest) returns (PriceList);
}
`,
  "shop/v1/types.proto": `syntax = "proto3";

// Messages only: no code of protoc-gen-nats.
package shop.v1;

import "acme/common/v1/money.proto";

message PriceList {
  repeated acme.common.v1.Money prices = 1;
}
`,
  "shop/v1/feed.proto": `syntax = "proto3";

package shop.v1;

import "google/protobuf/empty.proto";
import "google/protobuf/timestamp.proto";

// Feed mixes a unary method with a streaming one.
service Feed {
  // Latest returns the time of the latest change.
  rpc Latest(google.protobuf.Empty) returns (google.protobuf.Timestamp);
  rpc Watch(google.protobuf.Empty) returns (stream google.protobuf.Timestamp);
}

// Ticker has streaming methods only.
service Ticker {
  rpc Tick(stream google.protobuf.Empty) returns (stream google.protobuf.Timestamp);
  rpc Count(stream google.protobuf.Empty) returns (google.protobuf.Timestamp);
}

// Idle has no methods: no code at all.
service Idle {}
`,
};
