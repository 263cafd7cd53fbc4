#include "runtime/flat_parameters.h"

#include <ATen/core/Tensor.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/zeros.h>
#include <gtest/gtest.h>

#include "runtime/error.h"
#include "runtime/tensor_bridge.h"

namespace murmur::runtime {
namespace {

TEST(FlatParameters, ParametersBecomeViewsOfOneBuffer) {
  at::Tensor w = at::ones({2, 3});
  at::Tensor b = at::zeros({3});
  FlatParameters flat({"w", "b"}, {w, b});
  ASSERT_EQ(flat.numel(), 9);
  EXPECT_EQ(flat.data()[0], 1.0F);
  EXPECT_EQ(flat.data()[8], 0.0F);
  flat.data()[7] = 5.0F;  // writes through to the parameter
  EXPECT_EQ(b.data_ptr<float>()[1], 5.0F);
  w.data_ptr<float>()[0] = -2.0F;  // and back
  EXPECT_EQ(flat.data()[0], -2.0F);
  EXPECT_EQ(flat.layout()[1].offset, 6);
}

TEST(FlatParameters, SignatureChangesWithNamesAndShapes) {
  std::uint64_t a = FlatParameters({"w"}, {at::ones({2, 3})}).signature();
  EXPECT_EQ(a, FlatParameters({"w"}, {at::ones({2, 3})}).signature());
  EXPECT_NE(a, FlatParameters({"v"}, {at::ones({2, 3})}).signature());
  EXPECT_NE(a, FlatParameters({"w"}, {at::ones({3, 2})}).signature());
}

TEST(FlatParameters, RefusesWhatItCannotAverage) {
  EXPECT_THROW(FlatParameters({}, {}), Error);
  EXPECT_THROW(FlatParameters({"w"}, {at::ones({2}, at::TensorOptions().dtype(c10::kDouble))}),
               Error);
}

TEST(TensorBridge, RoundTripsWithoutCopies) {
  at::Tensor t = at::ones({4});
  Blob blob = blobFromTensor(t);
  EXPECT_EQ(blob.bytes, 16U);
  EXPECT_EQ(blob.dtype, DType::kFloat32);
  at::Tensor back = tensorFromBlob(blob);
  EXPECT_EQ(back.data_ptr(), t.data_ptr());
  blob.bytes = 15;
  EXPECT_THROW(tensorFromBlob(blob), Error);
}

}  // namespace
}  // namespace murmur::runtime
