// Any labelled data as a tensor file written by Python's torch.save (or by saveTensorFile).
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <ATen/core/ivalue.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include "peer/dataset.h"
#include "runtime/error.h"

namespace murmur::peer {
namespace {

std::pair<at::Tensor, at::Tensor> inputsAndLabels(const c10::IValue& value,
                                                  const std::string& path) {
  if (value.isGenericDict()) {
    const c10::Dict<c10::IValue, c10::IValue> dict = value.toGenericDict();
    for (const char* key : {"inputs", "labels"}) {
      if (!dict.contains(key) || !dict.at(key).isTensor()) {
        MURMUR_THROW(kInvalidArgument,
                     path,
                     ": the dict has no tensor \"",
                     key,
                     "\" (expected torch.save({\"inputs\": X, \"labels\": y}, path))");
      }
    }
    return {dict.at("inputs").toTensor(), dict.at("labels").toTensor()};
  }
  if (value.isTuple() && value.toTupleRef().elements().size() == 2 &&
      value.toTupleRef().elements()[0].isTensor() && value.toTupleRef().elements()[1].isTensor()) {
    return {value.toTupleRef().elements()[0].toTensor(),
            value.toTupleRef().elements()[1].toTensor()};
  }
  MURMUR_THROW(kInvalidArgument,
               path,
               " holds a ",
               value.tagKind(),
               ", not {\"inputs\": X, \"labels\": y} or (X, y)");
}

}  // namespace

Dataset loadTensorFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    MURMUR_THROW(kInvalidArgument, "dataset file ", path, " not found");
  }
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  c10::IValue value;
  try {
    value = torch::jit::pickle_load(bytes);
  } catch (const std::exception& e) {
    const std::string what = e.what();
    MURMUR_THROW(kInvalidArgument,
                 path,
                 " is not a tensor file saved with torch.save: ",
                 what.substr(0, what.find('\n')));
  }
  auto [inputs, labels] = inputsAndLabels(value, path);
  if (inputs.dim() < 2 || !inputs.is_floating_point()) {
    MURMUR_THROW(kInvalidArgument,
                 path,
                 ": inputs must be floating point [N, ...], got ",
                 c10::toString(inputs.scalar_type()),
                 " ",
                 c10::str(inputs.sizes()));
  }
  if (labels.dim() != 1 || labels.size(0) != inputs.size(0) || labels.is_floating_point()) {
    MURMUR_THROW(kInvalidArgument,
                 path,
                 ": labels must be integers [N] with N = ",
                 inputs.size(0),
                 " as the inputs, got ",
                 c10::toString(labels.scalar_type()),
                 " ",
                 c10::str(labels.sizes()));
  }
  if (inputs.size(0) == 0) {
    MURMUR_THROW(kInvalidArgument, path, " holds no samples");
  }
  labels = labels.to(c10::kLong).contiguous();
  const std::int64_t lowest = labels.min().item<std::int64_t>();
  if (lowest < 0) {
    MURMUR_THROW(kInvalidArgument, path, ": label ", lowest, " is negative");
  }
  const std::int64_t classes = labels.max().item<std::int64_t>() + 1;
  return Dataset(inputs.to(c10::kFloat).contiguous(), labels, classes);
}

void saveTensorFile(const Dataset& data, const std::string& path) {
  c10::Dict<std::string, at::Tensor> dict;
  dict.insert("inputs", data.images());
  dict.insert("labels", data.labels());
  const std::vector<char> bytes = torch::jit::pickle_save(c10::IValue(dict));
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  MURMUR_REQUIRE(out.good(), "cannot write ", path);
}

}  // namespace murmur::peer
