using Google.Protobuf;

namespace GuestPull.Shim.Events;

/// <summary>Where the task service's events go (containerd's Events/Forward, in order).</summary>
internal interface IEventSink
{
    void Publish(string topic, IMessage message);
}
