// The two bus formats as a GoogleTest parameter of the C API tests.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "shmif/shmif.h"

namespace shmif::test {

inline const auto kBothFormats = ::testing::Values(SHMIF_FORMAT_NATIVE, SHMIF_FORMAT_NETBSD);

inline std::string format_name(const ::testing::TestParamInfo<shmif_format>& param) {
    return param.param == SHMIF_FORMAT_NATIVE ? "Native" : "Netbsd";
}

}  // namespace shmif::test
