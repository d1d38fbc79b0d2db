#pragma once
// Both ends of one shm transport (a ring or a copy baseline) in one process, for tests that drive them from one
// thread step by step: the producer, and the consumer's view split from it (split_consumer), each opened in its role.
#include "transports/transport.hpp"

namespace ipcbench::test_support {

template <class T>
struct SplitPair {
  explicit SplitPair(const TransportOptions& o) : producer(o), consumer(producer.split_consumer()) {
    producer.open(Role::producer);
    consumer.open(Role::consumer);
  }
  T producer, consumer;
};

}  // namespace ipcbench::test_support
