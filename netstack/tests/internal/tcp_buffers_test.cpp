// The TCP buffers' byte queue (raw storage, compaction, growth) against a plain model, and
// the send and receive buffers' in-place halves that a splice uses.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <random>

#include "tcp/byte_queue.hpp"
#include "tcp/receive_buffer.hpp"
#include "tcp/send_buffer.hpp"

namespace netstack::tcp {
namespace {

std::byte byte_at(std::uint64_t i) {
    return static_cast<std::byte>((i * 131 + (i >> 8)) & 0xff);
}

// Random appends (copied or filled in place, committing less than reserved), views and
// consumption: the queue always holds exactly the model's bytes, in order, through many
// compactions and growths.
TEST(ByteQueue, HoldsWhatAPlainModelHoldsThroughCompactionAndGrowth) {
    ByteQueue queue;
    std::deque<std::byte> model;
    std::mt19937 rng(7);
    std::uint64_t next = 0;
    for (int step = 0; step < 20000; ++step) {
        const std::size_t n = rng() % 5000;
        switch (rng() % 3) {
            case 0: {  // copy in
                std::vector<std::byte> data(n);
                for (auto& b : data)
                    b = byte_at(next++);
                queue.append(data);
                model.insert(model.end(), data.begin(), data.end());
                break;
            }
            case 1: {  // fill in place, keep part of it
                const auto room = queue.reserve(n);
                ASSERT_EQ(room.size(), n);
                const std::size_t kept = n == 0 ? 0 : rng() % (n + 1);
                for (std::size_t i = 0; i < kept; ++i) {
                    room[i] = byte_at(next);
                    model.push_back(byte_at(next++));
                }
                queue.commit(kept);
                break;
            }
            default: {
                const std::size_t taken = std::min<std::size_t>(n * 2, model.size());
                queue.consume(taken);
                model.erase(model.begin(), model.begin() + static_cast<std::ptrdiff_t>(taken));
            }
        }
        ASSERT_EQ(queue.size(), model.size());
        if (model.empty()) continue;
        const std::size_t offset = rng() % model.size();
        const auto view = queue.view(offset, 3000);
        ASSERT_EQ(view.size(), std::min<std::size_t>(3000, model.size() - offset));
        ASSERT_TRUE(std::equal(view.begin(), view.end(),
                               model.begin() + static_cast<std::ptrdiff_t>(offset)));
        ASSERT_EQ(queue.at(0), model.front());
    }
}

// Storage is given back only when nothing is held, and the queue works on from nothing.
TEST(ByteQueue, GivesItsStorageBackOnlyWhenEmpty) {
    ByteQueue queue;
    const std::array<std::byte, 3> abc{std::byte{'a'}, std::byte{'b'}, std::byte{'c'}};
    queue.append(abc);
    EXPECT_GE(queue.allocated(), abc.size());
    queue.release_if_empty();
    ASSERT_EQ(queue.size(), abc.size());  // held: kept
    EXPECT_EQ(queue.at(2), std::byte{'c'});
    queue.consume(abc.size());
    queue.release_if_empty();
    EXPECT_EQ(queue.allocated(), 0u);
    queue.append(abc);
    ASSERT_EQ(queue.size(), abc.size());
    EXPECT_EQ(queue.at(0), std::byte{'a'});
}

TEST(ByteQueue, ViewsPastTheEndAreEmptyAndConsumingTooMuchEmptiesIt) {
    ByteQueue queue;
    EXPECT_TRUE(queue.view(0, 10).empty());
    const std::vector<std::byte> data(10, std::byte{1});
    queue.append(data);
    EXPECT_TRUE(queue.view(10, 1).empty());
    EXPECT_EQ(queue.view(4, 100).size(), 6u);
    queue.consume(100);
    EXPECT_TRUE(queue.empty());
    EXPECT_TRUE(queue.reserve(0).empty());
}

TEST(SendBuffer, ReservesNoMoreThanItsCapacityLeaves) {
    SendBuffer buffer(100);
    buffer.commit(buffer.reserve(60).size());
    EXPECT_EQ(buffer.size(), 60u);
    const auto room = buffer.reserve(1000);
    ASSERT_EQ(room.size(), 40u);
    std::memset(room.data(), 2, 10);
    buffer.commit(10);
    EXPECT_EQ(buffer.size(), 70u);
    EXPECT_EQ(buffer.peek(60, 100).size(), 10u);
    EXPECT_EQ(buffer.peek(60, 1)[0], std::byte{2});
    buffer.consume(70);
    EXPECT_EQ(buffer.reserve(1000).size(), 100u);
}

TEST(ReceiveBuffer, FrontShowsInOrderBytesAndDropTakesThem) {
    ReceiveBuffer buffer(1000, 8);
    const std::vector<std::byte> late(10, std::byte{2}), early(10, std::byte{1});
    EXPECT_TRUE(buffer.add(10, late).queued);
    EXPECT_TRUE(buffer.front(100).empty());  // behind a hole: not readable
    EXPECT_EQ(buffer.add(0, early).in_order, 20u);
    const auto front = buffer.front(15);
    ASSERT_EQ(front.size(), 15u);
    EXPECT_EQ(front[9], std::byte{1});
    EXPECT_EQ(front[10], std::byte{2});
    buffer.drop(15);
    EXPECT_EQ(buffer.readable(), 5u);
    EXPECT_EQ(buffer.free(), 995u);
}

}  // namespace
}  // namespace netstack::tcp
