# MURMUR_CUDA: CUDA kernels beside the algorithms they accelerate (momentum/, compression/,
# sync/), taking raw device pointers and a stream, so they need no CUDA-enabled LibTorch. ON when
# nvcc is found (/usr/local/cuda on our machines), OFF in sanitizer builds (nvcc takes no
# -fsanitize). Without a GPU they still compile; their tests skip, saying why.
include(CheckLanguage)
if(NOT DEFINED CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
  set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
endif()
check_language(CUDA)
set(cuda_default OFF)
if(CMAKE_CUDA_COMPILER AND NOT MURMUR_SANITIZE)
  set(cuda_default ON)
endif()
option(MURMUR_CUDA "Build the CUDA kernels (needs nvcc)" ${cuda_default})
if(MURMUR_CUDA)
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    # A100 and H100/H200; "native" fails on a machine without a GPU.
    set(CMAKE_CUDA_ARCHITECTURES 80 90)
  endif()
  enable_language(CUDA)
  find_package(CUDAToolkit REQUIRED)
  message(STATUS "murmur: CUDA kernels on (nvcc ${CMAKE_CUDA_COMPILER_VERSION}, "
                 "architectures ${CMAKE_CUDA_ARCHITECTURES})")
else()
  message(STATUS "murmur: CUDA kernels off (no nvcc, a sanitizer build, or -DMURMUR_CUDA=OFF)")
endif()

# murmur_add_cuda_kernels(momentum acid_kernels.cu ...): the kernels of one folder's library,
# when MURMUR_CUDA is on; MURMUR_HAVE_CUDA tells C++ code and tests that they are there.
function(murmur_add_cuda_kernels name)
  if(NOT MURMUR_CUDA)
    return()
  endif()
  target_sources(murmur_${name} PRIVATE ${ARGN})
  target_link_libraries(murmur_${name} PUBLIC CUDA::cudart_static)
  target_compile_definitions(murmur_${name} PUBLIC MURMUR_HAVE_CUDA=1)
endfunction()
