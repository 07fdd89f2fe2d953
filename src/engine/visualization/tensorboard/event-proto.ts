// The protobuf messages of a TensorBoard event file (tensorboard/compat/proto: event, summary, tensor), as far as segkit writes them.
//
// Encoding goes through protobufjs from this schema text rather than hand-written tag bytes:
// field numbers and wire types then read exactly as in TensorBoard's .proto files (easy to
// check line by line), and varints, int64, float/double and length-delimited nesting come from
// a library that is tested against protoc. The tests decode the bytes by hand, independently.
import protobuf from 'protobufjs';

const SCHEMA = `
syntax = "proto3";
package tensorboard;

message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what {
    string file_version = 3;
    Summary summary = 5;
  }
}

message Summary {
  message Image {
    int32 height = 1;
    int32 width = 2;
    int32 colorspace = 3;
    bytes encoded_image_string = 4;
  }
  message Value {
    string node_name = 7;
    string tag = 1;
    SummaryMetadata metadata = 9;
    oneof value {
      float simple_value = 2;
      Image image = 4;
      TensorProto tensor = 8;
    }
  }
  repeated Value value = 1;
}

message SummaryMetadata {
  message PluginData {
    string plugin_name = 1;
    bytes content = 2;
  }
  PluginData plugin_data = 1;
  string display_name = 2;
  string summary_description = 3;
}

message TensorShapeProto {
  message Dim {
    int64 size = 1;
    string name = 2;
  }
  repeated Dim dim = 2;
  bool unknown_rank = 3;
}

enum DataType {
  DT_INVALID = 0;
  DT_FLOAT = 1;
  DT_STRING = 7;
}

message TensorProto {
  DataType dtype = 1;
  TensorShapeProto tensor_shape = 2;
  int32 version_number = 3;
  bytes tensor_content = 4;
  repeated bytes string_val = 8;
}
`;

const root = protobuf.parse(SCHEMA, { keepCase: true }).root;
const EventType = root.lookupType('tensorboard.Event');

/** DataType.DT_STRING in tensorflow/core/framework/types.proto. */
export const DT_STRING = 7;

export interface SummaryValue {
  tag: string;
  metadata?: { plugin_data: { plugin_name: string; content?: Uint8Array } };
  simple_value?: number;
  image?: { height: number; width: number; colorspace: number; encoded_image_string: Uint8Array };
  tensor?: { dtype: number; tensor_shape: { dim: { size: number }[] }; string_val: Uint8Array[] };
}

export interface TensorboardEvent {
  wall_time: number;
  step?: number;
  file_version?: string;
  summary?: { value: SummaryValue[] };
}

/** The serialised `tensorboard.Event` message. */
export function encodeEvent(event: TensorboardEvent): Uint8Array {
  return EventType.encode(event).finish();
}
